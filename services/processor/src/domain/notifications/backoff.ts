import type { RetryPolicy } from './config';

/**
 * What a failed attempt leads to: dead once `attempts` (this one included) reaches the policy's maximum,
 * else a retry after an exponential delay with full jitter (uniform in [0, min(max, base·2^(attempts-1))]),
 * so receivers coming back are not hit by every dispatcher's retries at the same instant.
 * `random` returns a number in [0, 1).
 */
export function afterFailure(
  policy: RetryPolicy,
  attempts: number,
  random: () => number,
): { dead: true } | { dead: false; delayMs: number } {
  if (attempts >= policy.max_attempts) return { dead: true };
  const ceiling = Math.min(policy.max, policy.base * 2 ** Math.min(attempts - 1, 40));
  return { dead: false, delayMs: Math.floor(random() * ceiling) };
}

/**
 * Token-bucket pacing as pure functions of (bucket, now): tokens accrue at `ratePerSec` up to `burst`, a send
 * spends one token per message. A bucket full of `burst` tokens is how much catching up is allowed after the
 * broker stalled, so a hiccup never turns into an unbounded flood.
 */
export interface TokenBucket {
  readonly tokens: number;
  readonly atMs: number;
}

export interface Pace {
  readonly ratePerSec: number;
  readonly burst: number;
}

/**
 * The pace for a rate: messages go out in groups of `batch`, sized to what accrues in one linger period
 * (5 at 50/s with 100 ms) but never above the batch size; up to one second of backlog may be caught up.
 */
export function paceFor(ratePerSec: number, lingerMs: number, batchSize: number): Pace & { batch: number } {
  const batch = Math.max(1, Math.min(batchSize, Math.ceil((ratePerSec * lingerMs) / 1000)));
  return { ratePerSec, burst: Math.max(batch, Math.ceil(ratePerSec)), batch };
}

/** A bucket holding `tokens` at `nowMs`. */
export function startBucket(nowMs: number, tokens: number): TokenBucket {
  return { tokens, atMs: nowMs };
}

/** The bucket brought up to `nowMs`: tokens accrued since, capped at the burst. */
export function refill(bucket: TokenBucket, nowMs: number, pace: Pace): TokenBucket {
  const elapsedMs = Math.max(0, nowMs - bucket.atMs);
  return { tokens: Math.min(pace.burst, bucket.tokens + (elapsedMs * pace.ratePerSec) / 1000), atMs: nowMs };
}

/** The bucket after sending `n` messages. */
export function spend(bucket: TokenBucket, n: number): TokenBucket {
  return { tokens: bucket.tokens - n, atMs: bucket.atMs };
}

/** Milliseconds until the (refilled) bucket holds `n` tokens; 0 when it already does. */
export function msUntil(bucket: TokenBucket, n: number, pace: Pace): number {
  const missing = n - bucket.tokens;
  return missing <= 0 ? 0 : Math.ceil((missing * 1000) / pace.ratePerSec);
}

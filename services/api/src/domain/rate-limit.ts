/**
 * Token buckets per client (API key name or IP address): `ratePerSec` tokens refill continuously up to
 * `burst`. Pure state plus the caller's clock, so it is tested without timers. Kept in memory: each API
 * instance limits on its own, so N replicas allow N times the rate.
 */
export interface RateLimiter {
  /** Takes `cost` tokens (1 by default) for `client`; when too few are left, says how long until enough are. */
  take(
    client: string,
    nowMs: number,
    cost?: number,
  ): { allowed: true } | { allowed: false; retryAfterMs: number };
  /** Clients currently tracked (bounded by `maxClients`). */
  size(): number;
}

export interface RateLimitOptions {
  readonly ratePerSec: number;
  readonly burst: number;
  /** Beyond this many tracked clients, the least recently seen are forgotten (they start full again). */
  readonly maxClients?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** A limiter with one token bucket per client key. */
export function createRateLimiter(opts: RateLimitOptions): RateLimiter {
  const maxClients = opts.maxClients ?? 10_000;
  // A Map iterates in insertion order; re-inserting on each hit makes the first entry the least recent.
  const buckets = new Map<string, Bucket>();
  return {
    size: () => buckets.size,
    take(client, nowMs, cost = 1) {
      const previous = buckets.get(client);
      const bucket = previous ?? { tokens: opts.burst, atMs: nowMs };
      const elapsedMs = Math.max(0, nowMs - bucket.atMs);
      bucket.tokens = Math.min(opts.burst, bucket.tokens + (elapsedMs / 1000) * opts.ratePerSec);
      bucket.atMs = nowMs;
      buckets.delete(client);
      buckets.set(client, bucket);
      if (buckets.size > maxClients) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return { allowed: true };
      }
      return { allowed: false, retryAfterMs: Math.ceil(((cost - bucket.tokens) / opts.ratePerSec) * 1000) };
    },
  };
}

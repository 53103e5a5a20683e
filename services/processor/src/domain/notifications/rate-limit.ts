import type { Bucket, RateLimit } from './config';

/** A token bucket's level at an instant: `count` tokens at most, refilled evenly over `per`. */
export interface BucketLevel {
  readonly tokens: number;
  readonly atMs: number;
}

/** The token buckets of one channel: the channel's own and one per device, keyed by device id. */
export interface Buckets {
  channel?: BucketLevel;
  readonly devices: Map<string, BucketLevel>;
}

export const emptyBuckets = (): Buckets => ({ devices: new Map() });

/** What one pass sends and holds: each message is one delivery or a digest of several. */
export interface RatePlan<T> {
  readonly messages: T[][];
  readonly held: { readonly item: T; readonly untilMs: number }[];
}

/**
 * Splits due deliveries (oldest first) into messages under the channel's rate limits, taking tokens from
 * `buckets` for what is sent. A device over its limit has its deliveries held until a token is back; then
 * everything it held goes out as one digest, so a flapping sensor sends one message per token however often
 * it flaps. The channel limit does the same across devices.
 */
export function planRate<T>(
  due: readonly T[],
  deviceOf: (item: T) => string,
  limit: RateLimit | undefined,
  buckets: Buckets,
  nowMs: number,
): RatePlan<T> {
  const held: { item: T; untilMs: number }[] = [];
  const byDevice = new Map<string, T[]>();
  for (const item of due) {
    const list = byDevice.get(deviceOf(item));
    if (list) list.push(item);
    else byDevice.set(deviceOf(item), [item]);
  }
  const candidates: { device: string; items: T[] }[] = [];
  for (const [device, items] of byDevice) {
    if (!limit?.per_device) {
      candidates.push(...items.map((item) => ({ device, items: [item] })));
      continue;
    }
    const level = refill(buckets.devices.get(device), limit.per_device, nowMs);
    const fitted = fit(items, Math.floor(level.tokens));
    if (fitted.length === 0) {
      const untilMs = nowMs + untilToken(level, limit.per_device);
      held.push(...items.map((item) => ({ item, untilMs })));
    }
    candidates.push(...fitted.map((group) => ({ device, items: group })));
  }
  let sent = candidates;
  if (limit?.per_channel) {
    const level = refill(buckets.channel, limit.per_channel, nowMs);
    const merged = fit(candidates, Math.floor(level.tokens));
    if (merged.length === 0) {
      const untilMs = nowMs + untilToken(level, limit.per_channel);
      held.push(...candidates.flatMap((c) => c.items.map((item) => ({ item, untilMs }))));
    }
    sent = merged.map((group) =>
      group.length === 1 && group[0] ? group[0] : { device: '', items: group.flatMap((c) => c.items) },
    );
    buckets.channel = { tokens: level.tokens - merged.length, atMs: nowMs };
  }
  if (limit?.per_device) {
    for (const c of sent) {
      const devices = new Set(c.items.map(deviceOf));
      for (const device of devices) {
        const level = refill(buckets.devices.get(device), limit.per_device, nowMs);
        buckets.devices.set(device, { tokens: Math.max(0, level.tokens - 1), atMs: nowMs });
      }
    }
  }
  return { messages: sent.map((c) => c.items), held };
}

/**
 * `items` as at most `tokens` groups: one each while they fit, else all but the last token's worth alone
 * and the rest together (the digest). No tokens: no group.
 */
export function fit<T>(items: readonly T[], tokens: number): T[][] {
  if (tokens <= 0) return [];
  if (items.length <= tokens) return items.map((i) => [i]);
  return [...items.slice(0, tokens - 1).map((i) => [i]), items.slice(tokens - 1)];
}

function refill(level: BucketLevel | undefined, bucket: Bucket, nowMs: number): BucketLevel {
  if (!level) return { tokens: bucket.count, atMs: nowMs };
  const gained = (Math.max(0, nowMs - level.atMs) * bucket.count) / bucket.per;
  return { tokens: Math.min(bucket.count, level.tokens + gained), atMs: nowMs };
}

/** Ms until the bucket holds one whole token again. */
function untilToken(level: BucketLevel, bucket: Bucket): number {
  return Math.ceil(((1 - (level.tokens % 1)) * bucket.per) / bucket.count);
}

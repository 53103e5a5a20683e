import type { BucketName } from '../contract/buckets';

/**
 * Aggregate bucket widths the API serves. Which stored windows answer each range is decided by the
 * storage tiers (domain/tiers.ts): 1 h and 1 d from their own tiers, or summed from 15 m without them.
 */
export const BUCKETS = {
  '5m': { seconds: 300 },
  '15m': { seconds: 900 },
  '1h': { seconds: 3600 },
  '1d': { seconds: 86_400 },
} as const satisfies Record<BucketName, { seconds: number }>;

/** Rounds an instant down to its bucket's start; buckets are aligned to the Unix epoch (UTC days). */
export function alignDownMs(ms: number, seconds: number): number {
  const size = seconds * 1000;
  return Math.floor(ms / size) * size;
}

import type { BucketName } from '../contract/buckets';

/**
 * Aggregate bucket widths the API serves, and which stored windows each is built from: 5 m and 15 m are
 * the processor's windows as stored; 1 h and 1 d are rolled up from the 15 m windows (they tile both).
 */
export const BUCKETS = {
  '5m': { seconds: 300, sourceWindowSeconds: 300 },
  '15m': { seconds: 900, sourceWindowSeconds: 900 },
  '1h': { seconds: 3600, sourceWindowSeconds: 900 },
  '1d': { seconds: 86_400, sourceWindowSeconds: 900 },
} as const satisfies Record<BucketName, { seconds: number; sourceWindowSeconds: number }>;

/** Rounds an instant down to its bucket's start; buckets are aligned to the Unix epoch (UTC days). */
export function alignDownMs(ms: number, seconds: number): number {
  const size = seconds * 1000;
  return Math.floor(ms / size) * size;
}

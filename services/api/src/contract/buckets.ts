/**
 * The names of the aggregate buckets the API serves (`bucket=` of /api/v1/aggregates) and of the stored
 * windows the compatibility routes accept (`window=`). What each bucket is built from is domain/buckets.ts.
 */
export const BUCKET_NAMES = ['5m', '15m', '1h', '1d'] as const;

export type BucketName = (typeof BUCKET_NAMES)[number];

/** The compatibility routes' `window` values: stored widths only. */
export const WINDOW_NAMES = ['5m', '15m'] as const satisfies readonly BucketName[];

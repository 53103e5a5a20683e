import { z } from 'zod';
import { BUCKET_NAMES } from './buckets';
import { cursorParam, entityId, instant, instantParam, limitParam, page, sensorType } from './common';

export const aggregateBucketSchema = z
  .object({
    bucket_start: instant('Start of the bucket (aligned to the epoch, UTC).'),
    count: z.number().int().describe('Readings in the bucket.'),
    avg: z.number(),
    min: z.number(),
    max: z.number(),
    stddev: z.number().nullable().describe('Sample standard deviation; null for a single reading.'),
    tier: z
      .string()
      .describe(
        'The stored tier that answered (5m, 15m, 1h, 1d): the bucket asked for, or a coarser one (and a wider bucket) where the finer tier no longer holds the range (docs/storage.md).',
      ),
  })
  .meta({ id: 'AggregateBucket' });

export type AggregateBucket = z.infer<typeof aggregateBucketSchema>;

export const aggregatesQuery = z
  .strictObject({
    sensor_type: sensorType,
    site_id: entityId('Site').optional().describe('Only this site; all sites when omitted.'),
    zone_id: entityId('Zone').optional().describe('Only this zone; all zones when omitted.'),
    from: instantParam(
      'Start (inclusive; rounded down to a bucket edge). Default: 24 h before `to`.',
    ).optional(),
    to: instantParam('End (exclusive): windows starting before it count. Default: now.').optional(),
    bucket: z
      .enum(BUCKET_NAMES)
      .default('15m')
      .describe(
        'Bucket width. Each comes from the finest tier still holding its range: 5m for 90 days, 15m for a year, 1h and 1d kept (the defaults); `tier` on each bucket says which answered.',
      ),
    cursor: cursorParam,
    limit: limitParam(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

export const aggregatesPage = page(aggregateBucketSchema);

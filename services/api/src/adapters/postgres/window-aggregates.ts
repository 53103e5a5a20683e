import type { Pool } from '@telemetry-pulse/shared';
import type { AggregatesStore } from '../../domain/stores';
import { DEFAULT_TIERS } from '../../domain/tiers';
import { iso, orNull } from './rows';

/**
 * Reads over the processor's window aggregates. Several windows (zones, or 15 m windows inside an hour)
 * combine exactly: counts and sums add, min and max fold, and the sample standard deviation comes from
 * the sums of values and of squares. Nothing is averaged from averages.
 */
export function createAggregatesStore(pool: Pool): AggregatesStore {
  return {
    async tierHorizons() {
      // The processor records every width it stores (retained or kept), roll-ups included (migration 009).
      const { rows } = await pool.query<{ tier: string; ms: number }>(
        `SELECT tier, extract(epoch FROM kept_from)::float8 * 1000 AS ms FROM storage_horizons
          WHERE tier <> 'raw'`,
      );
      if (rows.length === 0) return DEFAULT_TIERS;
      return new Map([...DEFAULT_TIERS, ...rows.map((r) => [Number(r.tier), r.ms] as const)]);
    },

    async buckets(q) {
      const { rows } = await pool.query<{
        bucket_start: Date;
        n: number;
        avg: number;
        mn: number;
        mx: number;
        stddev: number | null;
      }>(
        `SELECT bucket_start, n, s / n AS avg, mn, mx,
                CASE WHEN n > 1 THEN sqrt(greatest(0, (ss - s * s / n) / (n - 1))) END AS stddev
           FROM (SELECT date_bin(make_interval(secs => $1), window_start, timestamptz 'epoch') AS bucket_start,
                        sum(sample_count)::bigint AS n, sum(value_sum) AS s, sum(value_sum_sq) AS ss,
                        min(value_min) AS mn, max(value_max) AS mx
                   FROM window_aggregates
                  WHERE window_seconds = $2 AND sensor_type = $3
                    AND ($4::text IS NULL OR site_id = $4) AND ($5::text IS NULL OR zone_id = $5)
                    AND window_start >= to_timestamp($6::float8 / 1000)
                    AND window_start < to_timestamp($7::float8 / 1000)
                  GROUP BY 1
                  ORDER BY 1
                  LIMIT $8) b
          ORDER BY bucket_start`,
        [
          q.bucketSeconds,
          q.sourceWindowSeconds,
          q.sensorType,
          orNull(q.siteId),
          orNull(q.zoneId),
          q.fromMs,
          q.toMs,
          q.take,
        ],
      );
      return rows.map((r) => ({
        bucket_start: iso(r.bucket_start),
        count: r.n,
        avg: r.avg,
        min: r.mn,
        max: r.mx,
        stddev: r.stddev,
      }));
    },

    async trends(q) {
      const { rows } = await pool.query<{ ts: Date; avg: number; mn: number; mx: number }>(
        `SELECT window_start AS ts, sum(value_sum) / sum(sample_count) AS avg, min(value_min) AS mn,
                max(value_max) AS mx
           FROM window_aggregates
          WHERE window_seconds = $1 AND sensor_type = $2
            AND ($3::text IS NULL OR zone_id = $3) AND ($4::text IS NULL OR site_id = $4)
          GROUP BY window_start
          ORDER BY window_start DESC
          LIMIT $5`,
        [q.windowSeconds, q.sensorType, orNull(q.zoneId), orNull(q.siteId), q.take],
      );
      return rows.map((r) => ({ ts: iso(r.ts), avg: r.avg, min: r.mn, max: r.mx }));
    },

    async occupancyRates({ siteId, sinceMs }) {
      const { rows } = await pool.query<{ site_id: string; zone_id: string; rate: number }>(
        `SELECT site_id, zone_id, avg(value_avg) AS rate
           FROM window_aggregates
          WHERE window_seconds = 900 AND sensor_type = 'occupancy'
            AND window_start > to_timestamp($1::float8 / 1000)
            AND ($2::text IS NULL OR site_id = $2)
          GROUP BY site_id, zone_id
          ORDER BY site_id, zone_id`,
        [sinceMs, orNull(siteId)],
      );
      return rows;
    },
  };
}

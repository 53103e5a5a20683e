import { namedStatement, type Pool, type PoolClient } from '@telemetry-pulse/shared';
import type { WindowAggregate } from '../../domain/windows';
import { numberArray, textArray } from './array-literal';

const UPSERT_WINDOWS = namedStatement(
  'upsert_window_aggregates',
  `INSERT INTO window_aggregates AS w (window_seconds, site_id, zone_id, sensor_type, window_start,
                                         sample_count, value_sum, value_sum_sq, value_min, value_max)
     SELECT t.window_seconds, t.site_id, t.zone_id, t.sensor_type, to_timestamp(t.start_ms / 1000.0),
            t.n, t.s, t.ss, t.mn, t.mx
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::bigint[], $7::float8[],
                   $8::float8[], $9::float8[], $10::float8[])
            WITH ORDINALITY AS t(window_seconds, site_id, zone_id, sensor_type, start_ms, n, s, ss, mn, mx, ord)
      ORDER BY t.ord
     ON CONFLICT (window_seconds, site_id, zone_id, sensor_type, window_start) DO UPDATE SET
       sample_count = w.sample_count + EXCLUDED.sample_count,
       value_sum    = w.value_sum + EXCLUDED.value_sum,
       value_sum_sq = w.value_sum_sq + EXCLUDED.value_sum_sq,
       value_min    = LEAST(w.value_min, EXCLUDED.value_min),
       value_max    = GREATEST(w.value_max, EXCLUDED.value_max),
       revisions    = w.revisions + CASE WHEN w.is_final THEN 1 ELSE 0 END,
       updated_at   = now()
     RETURNING w.is_final AS revised, w.window_seconds`,
);

/**
 * Merges per-batch partial aggregates into their windows (rows arrive sorted by key, so concurrent
 * processors lock rows in the same order). A change to a window already final counts as a revision.
 * Returns how many final windows were revised.
 */
export async function upsertWindowAggregates(
  client: PoolClient,
  windows: readonly WindowAggregate[],
  /** Widths whose revisions are not counted (the roll-ups: their 15 m window's revision already was). */
  uncounted: readonly number[] = [],
): Promise<number> {
  if (windows.length === 0) return 0;
  const { rows } = await client.query<{ revised: boolean; window_seconds: number }>(
    UPSERT_WINDOWS([
      numberArray(windows, (w) => w.key.windowSeconds),
      textArray(windows, (w) => w.key.siteId),
      textArray(windows, (w) => w.key.zoneId),
      textArray(windows, (w) => w.key.sensorType),
      numberArray(windows, (w) => w.key.windowStartMs),
      numberArray(windows, (w) => w.agg.count),
      numberArray(windows, (w) => w.agg.sum),
      numberArray(windows, (w) => w.agg.sumSq),
      numberArray(windows, (w) => w.agg.min),
      numberArray(windows, (w) => w.agg.max),
    ]),
  );
  return rows.filter((r) => r.revised && !uncounted.includes(r.window_seconds)).length;
}

/**
 * Marks windows final once the group's slowest partition watermark has passed their end plus grace.
 * Partitions that never carried a reading have no row and hold nothing back. Returns rows finalised.
 */
export async function finaliseWindows(
  pool: Pool,
  group: string,
  topic: string,
  graceMs: number,
): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE window_aggregates SET is_final = true, updated_at = now()
      WHERE NOT is_final
        AND window_start + make_interval(secs => window_seconds) + make_interval(secs => $3::float8 / 1000)
            <= (SELECT to_timestamp(min(watermark_ms) / 1000.0) FROM consumer_offsets
                 WHERE consumer_group = $1 AND topic = $2 AND watermark_ms IS NOT NULL)`,
    [group, topic, graceMs],
  );
  return rowCount ?? 0;
}

/**
 * Deletes windows of one width that start before `beforeMs`, `chunk` rows per statement so no statement
 * runs long (a day of 5 m windows is a few hundred thousand rows at most; nothing else touches them).
 * Returns the rows deleted.
 */
export async function deleteWindowsBefore(
  pool: Pool,
  windowSeconds: number,
  beforeMs: number,
  chunk = 10_000,
): Promise<number> {
  let deleted = 0;
  // Bounded: what is left after 1000 chunks goes on the next pass.
  for (let round = 0; round < 1000; round += 1) {
    const { rowCount } = await pool.query(
      `DELETE FROM window_aggregates
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM window_aggregates
                                 WHERE window_seconds = $1 AND window_start < to_timestamp($2::float8 / 1000)
                                 LIMIT $3))`,
      [windowSeconds, beforeMs, chunk],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < chunk) break;
  }
  return deleted;
}

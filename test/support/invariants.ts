import type pg from 'pg';

/**
 * The pipeline's invariants, checked in SQL against what the processor wrote: every aggregate row equals
 * the aggregation recomputed from the raw rows it covers (too_late rows excluded by policy), and no
 * window is missing or extra (among the widths checked). Returns the mismatching rows (empty when the invariant holds).
 */
export async function aggregateMismatches(
  db: pg.Pool | pg.Client,
  // The stored windows and the roll-ups materialised from the 15 m ones (issue 19).
  windowSeconds: readonly number[] = [300, 900, 3600, 86_400],
) {
  const { rows } = await db.query(
    `WITH recomputed AS (
       SELECT w.secs AS window_seconds, r.site_id, r.zone_id, r.sensor_type,
              to_timestamp(floor(extract(epoch FROM r.ts_event) / w.secs) * w.secs) AS window_start,
              count(*) AS n, sum(r.value) AS s, sum(r.value * r.value) AS ss, min(r.value) AS mn, max(r.value) AS mx
         FROM raw_events r CROSS JOIN unnest($1::int[]) AS w(secs)
        WHERE r.lateness <> 'too_late'
        GROUP BY 1, 2, 3, 4, 5)
     SELECT window_seconds, site_id, zone_id, sensor_type, window_start, r.n, a.sample_count, r.s, a.value_sum
       FROM recomputed r
       FULL JOIN (SELECT * FROM window_aggregates WHERE window_seconds = ANY ($1::int[])) a USING (window_seconds, site_id, zone_id, sensor_type, window_start)
      WHERE r.n IS DISTINCT FROM a.sample_count
         OR r.mn IS DISTINCT FROM a.value_min
         OR r.mx IS DISTINCT FROM a.value_max
         OR abs(r.s - a.value_sum) > 1e-9 * greatest(1, abs(r.s))
         OR abs(r.ss - a.value_sum_sq) > 1e-9 * greatest(1, abs(r.ss))
      LIMIT 20`,
    [windowSeconds],
  );
  return rows;
}

export interface TableCounts {
  raw: number;
  distinctRaw: number;
  aggregates: number;
  alerts: number;
  deadLetters: number;
}

export async function tableCounts(db: pg.Pool | pg.Client): Promise<TableCounts> {
  const { rows } = await db.query<TableCounts>(
    `SELECT (SELECT count(*) FROM raw_events)::int AS raw,
            (SELECT count(DISTINCT event_id) FROM raw_events)::int AS "distinctRaw",
            (SELECT count(*) FROM window_aggregates)::int AS aggregates,
            (SELECT count(*) FROM alerts)::int AS alerts,
            (SELECT count(*) FROM dead_letters)::int AS "deadLetters"`,
  );
  const row = rows[0];
  if (!row) throw new Error('no counts');
  return row;
}

/** A fingerprint of every effect table, to prove a replay changed nothing. */
export async function effectsFingerprint(db: pg.Pool | pg.Client): Promise<string> {
  const { rows } = await db.query<{ fp: string }>(
    `SELECT md5(concat_ws('|',
       (SELECT string_agg(event_id::text || value::text || lateness, ',' ORDER BY event_id) FROM raw_events),
       (SELECT string_agg(concat_ws(':', window_seconds, site_id, zone_id, sensor_type, window_start,
                                    sample_count, value_sum, value_min, value_max, revisions), ','
                          ORDER BY window_seconds, site_id, zone_id, sensor_type, window_start) FROM window_aggregates),
       (SELECT string_agg(concat_ws(':', rule_id, device_id, severity, status, opened_at, resolved_at), ','
                          ORDER BY alert_id) FROM alerts),
       (SELECT string_agg(concat_ws(':', partition, "offset", error_code), ',' ORDER BY partition, "offset")
          FROM dead_letters))) AS fp`,
  );
  return rows[0]?.fp ?? '';
}

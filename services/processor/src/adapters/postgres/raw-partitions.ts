import type { Pool, PoolClient } from '@telemetry-pulse/shared';
import type { RawPartition } from '../../domain/retention';

/**
 * The partitions of raw_events and the raw tier's horizon (migration 009). DDL runs through the SQL
 * functions of that migration, which take the bounds and names as parameters.
 */

/** Creates the partition [fromMs, toMs) unless one starts there; true when created now. */
export async function createRawPartition(client: PoolClient, fromMs: number, toMs: number): Promise<boolean> {
  const { rows } = await client.query<{ created: boolean }>(
    `SELECT create_raw_events_partition(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000))
       AS created`,
    [fromMs, toMs],
  );
  return rows[0]?.created === true;
}

/** Every ranged partition (the default partition is not one), with its bounds. */
export async function listRawPartitions(client: PoolClient | Pool): Promise<RawPartition[]> {
  const { rows } = await client.query<{ name: string; from_ms: number | null; to_ms: number }>(
    `SELECT name, extract(epoch FROM lower_ts) * 1000 AS from_ms, extract(epoch FROM upper_ts) * 1000 AS to_ms
       FROM (SELECT c.relname AS name,
                    (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz
                      AS lower_ts,
                    (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz
                      AS upper_ts
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'raw_events'::regclass) p
      WHERE upper_ts IS NOT NULL
      ORDER BY upper_ts`,
  );
  return rows.map((r) => ({
    name: r.name,
    fromMs: r.from_ms === null ? null : Number(r.from_ms),
    toMs: Number(r.to_ms),
  }));
}

/** PostgreSQL's lock_not_available: the DROP gave up waiting for raw_events. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Drops one partition with a short lock timeout, trying again a few times: the DROP needs raw_events to
 * itself for an instant, and while it waits every new batch queues behind it, so it must never wait long.
 * Returns how long the successful attempt held things up (ms), or null when every attempt timed out.
 */
export async function dropRawPartition(
  pool: Pool,
  name: string,
  opts: { lockTimeoutMs: number; attempts: number; pauseMs: number },
): Promise<number | null> {
  for (let attempt = 1; attempt <= opts.attempts; attempt += 1) {
    const client = await pool.connect();
    const started = performance.now();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${opts.lockTimeoutMs}ms`]);
      await client.query('SELECT drop_raw_events_partition($1)', [name]);
      await client.query('COMMIT');
      return performance.now() - started;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
    } finally {
      client.release();
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pauseMs));
  }
  return null;
}

/**
 * Deletes readings before the horizon from the default partition (a reading that raced a drop, or one
 * of a day before partitioning began) and the counts of days before it. Returns the rows deleted.
 */
export async function purgeExpiredDefault(pool: Pool, horizonMs: number): Promise<number> {
  const { rowCount } = await pool.query(
    `WITH gone AS (DELETE FROM raw_events_default WHERE ts_event < to_timestamp($1::float8 / 1000) RETURNING 1),
          counts AS (DELETE FROM raw_event_counts
                      WHERE day < (to_timestamp($1::float8 / 1000) AT TIME ZONE 'UTC')::date)
     SELECT FROM gone`,
    [horizonMs],
  );
  return rowCount ?? 0;
}

/**
 * Moves a tier's horizon forward (never back) and returns it: committed before anything is dropped, so a
 * batch reading it from then on filters readings the drop is about to take away.
 */
export async function advanceHorizon(pool: Pool, tier: string, horizonMs: number): Promise<number> {
  const { rows } = await pool.query<{ ms: number }>(
    `INSERT INTO storage_horizons AS h (tier, kept_from) VALUES ($1, to_timestamp($2::float8 / 1000))
     ON CONFLICT (tier) DO UPDATE SET kept_from = greatest(h.kept_from, EXCLUDED.kept_from), updated_at = now()
     RETURNING extract(epoch FROM kept_from)::float8 * 1000 AS ms`,
    [tier, horizonMs],
  );
  return rows[0]?.ms ?? horizonMs;
}

/** Removes the horizon rows of window widths no longer stored (a roll-up switched off): none answers. */
export async function forgetOtherTiers(pool: Pool, windowSeconds: readonly number[]): Promise<void> {
  await pool.query(`DELETE FROM storage_horizons WHERE tier <> 'raw' AND tier <> ALL ($1::text[])`, [
    windowSeconds.map(String),
  ]);
}

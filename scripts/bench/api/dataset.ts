/**
 * The API benchmark's data: the fleet, and its history generated in SQL with the real schema and indexes
 * (readings, their 5 m, 15 m, 1 h and 1 d windows, devices, resolved and open alerts), then VACUUM ANALYZE,
 * CHECKPOINT and the kernel's writeback, so that the load's aftermath is not measured as latency.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { fmt, sleep } from '../common.ts';

// ---------------------------------------------------------------------------------------------------
// The fleet

export const SITES = 3;
export const ZONES_PER_SITE = 5;
export const DEVICES_PER_ZONE = 3;
export const SENSORS = [
  ['co2', 'ppm'],
  ['temperature', 'C'],
  ['humidity', '%'],
  ['occupancy', 'people'],
] as const;
const OPEN_ALERTS = 24; // unresolved alerts, fewer than one page of 50: the case where a scan may not stop early
const ACKNOWLEDGED_ALERTS = 8;
const RAW_ROWS_PER_ALERT = 500; // resolved alert history grows with the readings

export interface FleetDevice {
  readonly device: string;
  readonly site: string;
  readonly zone: string;
}

const two = (n: number): string => String(n).padStart(2, '0');
export const FLEET: readonly FleetDevice[] = (() => {
  const fleet: FleetDevice[] = [];
  for (let s = 1; s <= SITES; s++)
    for (let z = 1; z <= ZONES_PER_SITE; z++)
      for (let d = 1; d <= DEVICES_PER_ZONE; d++) {
        const site = `site-${two(s)}`;
        const zone = `${site}-zone-${two(z)}`;
        fleet.push({ device: `${zone}-dev-${two(d)}`, site, zone });
      }
  return fleet;
})();
export const ZONES: readonly FleetDevice[] = [...new Map(FLEET.map((f) => [f.zone, f])).values()];
export const SERIES = FLEET.length * SENSORS.length;

/** One progress line on stderr, with the time of day. */
export const log = (msg: string): void =>
  console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${msg}`);

// ---------------------------------------------------------------------------------------------------
// History generated in SQL: readings, their 5 m and 15 m windows, devices and alerts

/**
 * Inserts the readings of steps [k0, k1) (step k = k * interval seconds since the epoch; every sensor of
 * every device reports once per step, each device at its own phase) and, from the same rows, their 5 m
 * and 15 m windows, in one statement: the windows are built from the rows as inserted (RETURNING), so the
 * table is never scanned again. Step ranges are whole 15 m windows, except the newest, which the live
 * processor later adds to (hence ON CONFLICT adding up, as the processor does). Session $5 of $6 writes
 * its share of the zones: sessions in parallel then touch disjoint index pages (event ids lead with the
 * series) and never wait for each other's locks.
 */
const GENERATE_SQL = `
WITH fleet AS (
  SELECT * FROM (SELECT (row_number() OVER (ORDER BY device_id) - 1)::int AS n,
                        dense_rank() OVER (ORDER BY site_id, zone_id) AS zone_n, device_id, site_id, zone_id
                   FROM devices) d
   WHERE zone_n % $6 = $5  -- this session's share of the zones
), steps AS (
  SELECT k, CASE WHEN ((k * $3 / 86400) + 4) % 7 IN (0, 6) THEN 0.05 ELSE 1 END  -- weekends are quiet
            * greatest(0, sin(pi() * (((k * $3) % 86400) / 3600.0 - 7) / 11)) AS occ  -- 07:00-18:00 UTC
    FROM generate_series($1::bigint, $2::bigint - 1) AS k
), ins AS (
  INSERT INTO raw_events (event_id, device_id, site_id, zone_id, sensor_type, value, unit, ts_event,
                          ingested_at, kafka_partition, kafka_offset)
  SELECT (lpad(to_hex(f.n * 4 + s.n), 4, '0') || lpad(to_hex(m.ms), 12, '0') || '7'
          || lpad(to_hex(st.k), 15, '0'))::uuid,  -- time-ordered within each series
         f.device_id, f.site_id, f.zone_id, s.sensor_type,
         CASE s.n WHEN 0 THEN round(420 + (300 + 15 * (f.n % 16)) * st.occ + 25 * random())
                  WHEN 1 THEN round((20.8 + 0.2 * (f.n % 8) + 1.6 * st.occ + 0.4 * random())::numeric, 2)::float8
                  WHEN 2 THEN round((36 + f.n % 9 + 6 * st.occ + 2 * random())::numeric, 1)::float8
                  ELSE floor((4 + f.n % 28) * st.occ * (0.7 + 0.6 * random())) END,
         s.unit, to_timestamp(m.ms / 1000.0), to_timestamp(m.ms / 1000.0 + 0.2 + random()), f.n % 6, st.k
    FROM steps st
   CROSS JOIN fleet f
   CROSS JOIN (VALUES (0, 'co2', 'ppm'), (1, 'temperature', 'C'), (2, 'humidity', '%'),
                      (3, 'occupancy', 'people')) AS s(n, sensor_type, unit)
   CROSS JOIN LATERAL (SELECT st.k * $3 * 1000 + (f.n * 661) % ($3 * 1000) AS ms) m
  RETURNING site_id, zone_id, sensor_type, ts_event, value
), w5 AS (
  SELECT site_id, zone_id, sensor_type, date_bin('5 minutes', ts_event, timestamptz 'epoch') AS ws,
         count(*) AS n, sum(value) AS s, sum(value * value) AS ss, min(value) AS mn, max(value) AS mx
    FROM ins GROUP BY 1, 2, 3, 4
), windows AS (
  SELECT 300 AS width, site_id, zone_id, sensor_type, ws, n, s, ss, mn, mx FROM w5
  UNION ALL
  SELECT 900, site_id, zone_id, sensor_type, date_bin('15 minutes', ws, timestamptz 'epoch'),
         sum(n), sum(s), sum(ss), min(mn), max(mx)
    FROM w5 GROUP BY 2, 3, 4, 5
  UNION ALL  -- the roll-up tiers the processor materialises (issue 19); the API reads 1 h and 1 d from them
  SELECT r.secs, site_id, zone_id, sensor_type, date_bin(make_interval(secs => r.secs), ws, timestamptz 'epoch'),
         sum(n), sum(s), sum(ss), min(mn), max(mx)
    FROM w5 CROSS JOIN (VALUES (3600), (86400)) AS r(secs) GROUP BY 1, 2, 3, 4, 5
), agg AS (
  INSERT INTO window_aggregates AS a (window_seconds, site_id, zone_id, sensor_type, window_start,
                                     sample_count, value_sum, value_sum_sq, value_min, value_max,
                                     is_final, updated_at)
  SELECT width, site_id, zone_id, sensor_type, ws, n, s, ss, mn, mx,
         ws + make_interval(secs => width + 60) <= to_timestamp($4),
         least(ws + make_interval(secs => width + 5), to_timestamp($4))
    FROM windows
  ON CONFLICT (window_seconds, site_id, zone_id, sensor_type, window_start) DO UPDATE SET
    sample_count = a.sample_count + EXCLUDED.sample_count, value_sum = a.value_sum + EXCLUDED.value_sum,
    value_sum_sq = a.value_sum_sq + EXCLUDED.value_sum_sq,
    value_min = least(a.value_min, EXCLUDED.value_min), value_max = greatest(a.value_max, EXCLUDED.value_max)
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS raw, (SELECT count(*) FROM agg)::int AS windows`;

/** Resolved alert history, spread evenly over [$2, $3) (epoch seconds), rotating devices and rules. */
const RESOLVED_ALERTS_SQL = `
WITH fleet AS (
  SELECT (row_number() OVER (ORDER BY device_id) - 1)::int AS n, device_id, site_id, zone_id FROM devices
)
INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message,
                    trigger_value, peak_value, last_value, opened_at, resolved_at, resolved_by, updated_at)
SELECT r.rule_id, f.device_id, f.site_id, f.zone_id, r.sensor_type,
       CASE WHEN r.n = 0 AND i % 5 = 0 THEN 'critical' ELSE 'warning' END, 'resolved', r.message,
       r.trig, r.trig * 1.08, r.clr, o.at, o.at + make_interval(mins => 5 + (i % 55)::int), 'engine',
       o.at + make_interval(mins => 5 + (i % 55)::int)
  FROM generate_series(0, $1::int - 1) AS i
 CROSS JOIN LATERAL (SELECT to_timestamp($2::float8 + ($3::float8 - $2::float8) * i / $1::int) AS at) o
  JOIN fleet f ON f.n = i % ${FLEET.length}
  JOIN (VALUES (0, 'co2-high', 'co2', 1000.0, 900.0, 'co2 above 1000 ppm for 2 min'),
               (1, 'temperature-comfort', 'temperature', 26.0, 25.5, 'temperature above 26 C for 5 min'),
               (2, 'humidity-comfort', 'humidity', 60.0, 58.0, 'humidity above 60 % for 5 min'))
       AS r(n, rule_id, sensor_type, trig, clr, message) ON r.n = (i / ${FLEET.length}) % 3`;

/** The unresolved alerts: one co2-high per device for the first devices, opened over the last hours. */
const OPEN_ALERTS_SQL = `
WITH fleet AS (
  SELECT (row_number() OVER (ORDER BY device_id) - 1)::int AS n, device_id, site_id, zone_id FROM devices
)
INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message,
                    trigger_value, peak_value, last_value, opened_at, acknowledged_at, acknowledged_by)
SELECT 'co2-high', device_id, site_id, zone_id, 'co2', 'warning',
       CASE WHEN n < $2 THEN 'acknowledged' ELSE 'open' END, 'co2 above 1000 ppm for 2 min',
       1012, 1090, 1040, to_timestamp($3::float8 - 600 * (n + 1)),
       CASE WHEN n < $2 THEN to_timestamp($3::float8 - 300 * (n + 1)) END,
       CASE WHEN n < $2 THEN 'bench' END
  FROM fleet WHERE n < $1`;

export interface LoadFigures {
  raw: number;
  windows: number;
  alerts: number;
  kReached: number;
  cut: boolean;
  loadS: number;
}

/** A loaded dataset: its load figures, then VACUUM, writeback and size. */
export type DatasetFigures = LoadFigures & { vacuumS: number; settled: Settled } & DatabaseSize;

/**
 * Generates readings for steps [kFrom, kTo) in chunks of whole 15 m windows, newest chunk first (so a
 * run cut short by the budget leaves contiguous history), one session per core (each inserting with the
 * indexes in place costs a core), then resolved alerts over the span reached.
 */
export async function generate(
  clients: readonly pg.Client[],
  {
    kFrom,
    kTo,
    stepS,
    nowS,
    budgetMs,
    label,
  }: { kFrom: number; kTo: number; stepS: number; nowS: number; budgetMs: number; label: string },
): Promise<LoadFigures> {
  const client = clients[0];
  if (!client) throw new Error('no loading session');
  const stepsPerWindow = 900 / stepS;
  const chunkSteps = Math.max(1, Math.round(2_000_000 / SERIES / stepsPerWindow)) * stepsPerWindow;
  const started = Date.now();
  let raw = 0;
  let windows = 0;
  let k1 = kTo;
  let cut = false;
  while (k1 > kFrom) {
    if (Date.now() - started > budgetMs) {
      cut = true;
      break;
    }
    // Chunk edges on multiples of chunkSteps (whole windows), except the newest edge.
    const k0 = Math.max(kFrom, Math.floor((k1 - 1) / chunkSteps) * chunkSteps);
    const results = await Promise.all(
      clients.map((c, i) =>
        c.query<{ raw: number; windows: number }>(GENERATE_SQL, [k0, k1, stepS, nowS, i, clients.length]),
      ),
    );
    for (const { rows } of results) {
      raw += rows[0]?.raw ?? 0;
      windows += rows[0]?.windows ?? 0;
    }
    k1 = k0;
    const s = (Date.now() - started) / 1000;
    log(`${label}: ${fmt(raw)} rows, ${fmt(windows)} windows, ${s.toFixed(0)} s (${fmt(raw / s)} rows/s)`);
  }
  const alerts = Math.round(raw / RAW_ROWS_PER_ALERT);
  if (alerts > 0) await client.query(RESOLVED_ALERTS_SQL, [alerts, k1 * stepS, kTo * stepS]);
  await client.query('UPDATE devices SET first_seen_at = least(first_seen_at, to_timestamp($1::float8))', [
    k1 * stepS,
  ]);
  return { raw, windows, alerts, kReached: k1, cut, loadS: (Date.now() - started) / 1000 };
}

/** VACUUM (visibility map, hint bits) and ANALYZE, so no autovacuum starts during the measurement. */
export async function vacuum(client: pg.Client): Promise<number> {
  const started = Date.now();
  await client.query('VACUUM (ANALYZE) raw_events, window_aggregates, devices, alerts');
  return (Date.now() - started) / 1000;
}

/** Dirty and under-writeback page cache, MiB, from /proc/meminfo (0 where there is none). */
function dirtyMiB(): number {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return (kib('Dirty') + kib('Writeback')) / 1024;
  } catch {
    return 0;
  }
}

const SETTLED_DIRTY_MIB = 128;
const SETTLE_LIMIT_MS = 180_000;

/**
 * After a bulk load, a CHECKPOINT and the kernel's writeback of gigabytes of dirty pages go on for
 * minutes, and would be measured as the API's latency (and, at 50M rows, as history's cost). So:
 * CHECKPOINT (needs pg_checkpoint, which scripts/infra.sh grants; skipped with a note otherwise), then
 * wait until less than 128 MiB of the page cache is dirty, for 3 minutes at most, saying so.
 */
export interface Settled {
  checkpoint: string;
  seconds: number;
  dirtyMiB: number;
}

export async function settle(client: pg.Client, label: string): Promise<Settled> {
  const started = Date.now();
  let checkpoint = 'done';
  log(`${label}: CHECKPOINT and waiting for writeback (${dirtyMiB().toFixed(0)} MiB dirty)...`);
  await client.query('CHECKPOINT').catch((err: Error) => {
    checkpoint = `skipped (${err.message})`;
    log(`${label}: CHECKPOINT ${checkpoint}`);
  });
  let lastLog = Date.now();
  while (dirtyMiB() > SETTLED_DIRTY_MIB && Date.now() - started < SETTLE_LIMIT_MS) {
    await sleep(1_000);
    if (Date.now() - lastLog >= 10_000) {
      log(
        `${label}: ${dirtyMiB().toFixed(0)} MiB still dirty after ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      lastLog = Date.now();
    }
  }
  const result = { checkpoint, seconds: (Date.now() - started) / 1000, dirtyMiB: dirtyMiB() };
  log(
    `${label}: settled in ${result.seconds.toFixed(0)} s, ${result.dirtyMiB.toFixed(0)} MiB dirty` +
      (result.dirtyMiB > SETTLED_DIRTY_MIB ? ' (GAVE UP WAITING)' : ''),
  );
  return result;
}

export interface DatabaseSize {
  rawBytes: number;
  windowRows: number;
  alertRows: number;
}

export async function databaseSize(client: pg.Client): Promise<DatabaseSize> {
  const { rows } = await client.query<DatabaseSize>(
    `SELECT pg_total_relation_size('raw_events')::float8 AS "rawBytes",
            (SELECT count(*) FROM window_aggregates)::int AS "windowRows",
            (SELECT count(*) FROM alerts)::int AS "alertRows"`,
  );
  const size = rows[0];
  if (!size) throw new Error('no database size');
  return size;
}

/**
 * The first dataset: devices, whole 15 m windows of readings back from the current step, resolved and
 * open alerts, then VACUUM ANALYZE. Returns its load figures and the first step it covers.
 */
export async function seedFirstDataset(
  loaders: readonly pg.Client[],
  { rows, stepS }: { rows: number; stepS: number },
): Promise<{ small: DatasetFigures; kSplit: number; nowS: number }> {
  const loader = loaders[0];
  if (!loader) throw new Error('no loading session');
  const stepsPerWindow = 900 / stepS;
  const nowS = Math.floor(Date.now() / 1000);
  const kEnd = Math.floor(nowS / stepS);
  const kSplit = Math.floor((kEnd - Math.ceil(rows / SERIES)) / stepsPerWindow) * stepsPerWindow;
  await loader.query(
    `INSERT INTO devices (device_id, site_id, zone_id, first_seen_at, last_seen_at, kafka_partition)
     SELECT d, s, z, to_timestamp($4::float8), to_timestamp($4::float8), 0
       FROM unnest($1::text[], $2::text[], $3::text[]) AS t(d, s, z)`,
    [FLEET.map((f) => f.device), FLEET.map((f) => f.site), FLEET.map((f) => f.zone), nowS],
  );
  log(`generating the first dataset (${fmt(rows)} rows)...`);
  const loaded = await generate(loaders, {
    kFrom: kSplit,
    kTo: kEnd,
    stepS,
    nowS,
    budgetMs: Infinity,
    label: 'first dataset',
  });
  await loader.query(OPEN_ALERTS_SQL, [OPEN_ALERTS + ACKNOWLEDGED_ALERTS, ACKNOWLEDGED_ALERTS, nowS]);
  const vacuumS = await vacuum(loader);
  const settled = await settle(loader, 'first dataset');
  const seeded: DatasetFigures = { ...loaded, vacuumS, settled, ...(await databaseSize(loader)) };
  log(
    `first dataset: ${fmt(seeded.raw)} rows in ${seeded.loadS.toFixed(0)} s, VACUUM ANALYZE ${vacuumS.toFixed(0)} s`,
  );
  return { small: seeded, kSplit, nowS };
}

/** The older history added before the second dataset is measured, loaded and settled like the first. */
export async function addOlderHistory(
  loaders: readonly pg.Client[],
  range: { kFrom: number; kTo: number; stepS: number; nowS: number; budgetMs: number },
): Promise<DatasetFigures> {
  const loader = loaders[0];
  if (!loader) throw new Error('no loading session');
  const loaded = await generate(loaders, { ...range, label: 'older history' });
  const vacuumS = await vacuum(loader);
  const settled = await settle(loader, 'older history');
  const large: DatasetFigures = { ...loaded, vacuumS, settled, ...(await databaseSize(loader)) };
  log(
    `added ${fmt(large.raw)} rows in ${large.loadS.toFixed(0)} s${large.cut ? ' (LOAD BUDGET RAN OUT)' : ''}, ` +
      `VACUUM ANALYZE ${large.vacuumS.toFixed(0)} s`,
  );
  return large;
}

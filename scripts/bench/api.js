#!/usr/bin/env node
'use strict';
// npm run bench:api: the API's dashboard reads (latest readings per zone and per device, 24-hour trend,
// open alerts) under a fixed request rate, on a database of --rows-small raw readings and then --rows-large, while the real
// processor ingests live readings at --ingest-rate. Each route is measured on koa (the API process) and
// on a bare node:http server running the same SQL through the same postgres adapters, so the ratio shows
// what koa, validation and middleware cost. History is generated in SQL with the real schema and indexes.
//
// Processes: this one runs the load (evenly paced by default, or autocannon; see load.js) and nothing
// else while measuring; the API, the bare server, the processor and the Kafka producer each run in their
// own process (the last two are this file, forked). scripts/bench/api-cpu.js reuses the pieces exported
// at the end to compare the API's CPU per request with the bare server's.
const { fork, spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { parseArgs } = require('node:util');
const pg = require('pg');
const {
  ROOT,
  BROKERS,
  uid,
  kafka,
  sleep,
  fmt,
  scratchDatabase,
  withAdmin,
  freePort,
  durationMs,
  migrateDatabase,
  waitOk,
  stopChild,
} = require('./common');
const { PACINGS, loadAt, describePacing } = require('./load');
const cpuShare = require('./cpu-share');

const API_DIST = path.join(ROOT, 'services/api/dist');
const HELP = `Usage: npm run bench:api -- [options]

  --rows-small N     raw readings of the first dataset (default 5000000)
  --rows-large N     raw readings of the second dataset, made by adding older history to the first
                     (default 50000000; 0 measures the first only)
  --load-budget D    longest time to spend generating the added history (default 25m); when it runs
                     out the second dataset is measured at the size reached, and the report says so
  --interval D       time between two readings of one sensor in the history (default 30s; divides 15m)
  --rate N           requests/s per route (default 200)
  --pacing P         even: one request every 1/rate s, open loop, latency from the time it was due
                     (default); autocannon: autocannon's overallRate, which sends each connection's
                     share of a second in a burst at its start (the pacing of the first recorded runs)
  --connections N    keep-alive connections (default 10; with even pacing, a request that finds all
                     of them busy waits for one, and the wait counts in its latency)
  --duration D       measured run per route and server (default 15s)
  --rounds N         measured runs per route and server (default 3), taken in turn: rounds outside,
                     routes inside, the servers' order swapped each round; the report gives each
                     figure's median over the rounds and the p99's lowest and highest round
  --warmup D         unmeasured run before each (default 2s)
  --ingest-rate N    live readings/s produced to the processor while measuring (default 15000, half
                     its measured maximum; 0 runs without ingestion)
  --processor-nice N run the processor at niceness N (0-19, default 10), so the API's requests win the
                     CPU from it, as CPU requests and limits would give the API its share in a cluster;
                     the processor's PostgreSQL sessions, Kafka and the producer keep their priority;
                     0 runs it at the same priority as everything else

After loading each dataset: VACUUM ANALYZE, CHECKPOINT, and up to 3 min for the kernel to write the
dirty pages back, so the load's aftermath is not measured as latency. The report gives each run's CPU
by process (processor, its PostgreSQL sessions, Kafka, servers, load generator) as % of one core.`;

const ROLE = process.env.BENCH_API_ROLE; // set only in this file's forked children

// ---------------------------------------------------------------------------------------------------
// The fleet and the routes measured

const SITES = 3;
const ZONES_PER_SITE = 5;
const DEVICES_PER_ZONE = 3;
const SENSORS = [
  ['co2', 'ppm'],
  ['temperature', 'C'],
  ['humidity', '%'],
  ['occupancy', 'people'],
];
const OPEN_ALERTS = 24; // unresolved alerts, fewer than one page of 50: the case where a scan may not stop early
const ACKNOWLEDGED_ALERTS = 8;
const RAW_ROWS_PER_ALERT = 500; // resolved alert history grows with the readings

const two = (n) => String(n).padStart(2, '0');
const FLEET = [];
for (let s = 1; s <= SITES; s++)
  for (let z = 1; z <= ZONES_PER_SITE; z++)
    for (let d = 1; d <= DEVICES_PER_ZONE; d++) {
      const site = `site-${two(s)}`;
      const zone = `${site}-zone-${two(z)}`;
      FLEET.push({ device: `${zone}-dev-${two(d)}`, site, zone });
    }
const ZONES = [...new Map(FLEET.map((f) => [f.zone, f])).values()];
const SERIES = FLEET.length * SENSORS.length;

/** Each measured route, as a rotation of request paths (autocannon cycles through them). */
function routes(nowMs) {
  const to = new Date(nowMs).toISOString();
  const from = new Date(nowMs - 24 * 3600_000).toISOString();
  return [
    {
      name: 'latest per zone',
      paths: ['site-01', 'site-02', 'site-03'].map((s) => `/api/v1/zones/latest?site_id=${s}`),
    },
    {
      name: 'latest per device',
      paths: ['site-01', 'site-02', 'site-03'].map((s) => `/api/v1/devices/latest?site_id=${s}`),
    },
    {
      name: '24 h trend (15m buckets)',
      paths: ZONES.map(
        (z) =>
          `/api/v1/aggregates?site_id=${z.site}&zone_id=${z.zone}&sensor_type=co2&bucket=15m` +
          `&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      ),
    },
    { name: 'open alerts', paths: ['/api/v1/alerts?status=open,acknowledged&limit=50'] },
  ];
}

/**
 * What each measured route does with its query string, minus koa, zod and the middleware: the same store
 * call with the same arguments and defaults as the route handler, and the same page shape. The bare
 * server answers with it, and EXPLAIN reads the SQL it sends.
 */
function storeCalls() {
  const { SENSOR_TYPES } = require('@telemetry-pulse/shared/core');
  const { paginate, encodeCursor } = require(path.join(API_DIST, 'domain/cursor'));
  const { alignDownMs, BUCKETS } = require(path.join(API_DIST, 'domain/buckets'));
  const opt = (q, k) => q.get(k) ?? undefined;
  const limitOf = (q) => Number(q.get('limit') ?? 100);
  return {
    '/api/v1/zones/latest': async (stores, q) => {
      const rows = await stores.readings.zonesLatest({
        siteId: opt(q, 'site_id'),
        zoneId: opt(q, 'zone_id'),
        sensorTypes: SENSOR_TYPES,
        take: limitOf(q) + 1,
      });
      return paginate(rows, limitOf(q), (r) => [r.site_id, r.zone_id, r.sensor_type]);
    },
    '/api/v1/devices/latest': async (stores, q) => {
      const rows = await stores.readings.devicesLatest({
        siteId: opt(q, 'site_id'),
        zoneId: opt(q, 'zone_id'),
        deviceId: opt(q, 'device_id'),
        sensorTypes: SENSOR_TYPES,
        take: limitOf(q) + 1,
      });
      return paginate(rows, limitOf(q), (r) => [r.device_id, r.sensor_type]);
    },
    '/api/v1/aggregates': async (stores, q) => {
      const bucket = BUCKETS[q.get('bucket') ?? '15m'];
      const toMs = Date.parse(q.get('to'));
      const rows = await stores.aggregates.buckets({
        sensorType: q.get('sensor_type'),
        siteId: opt(q, 'site_id'),
        zoneId: opt(q, 'zone_id'),
        bucketSeconds: bucket.seconds,
        sourceWindowSeconds: bucket.sourceWindowSeconds,
        fromMs: alignDownMs(Date.parse(q.get('from')), bucket.seconds),
        toMs,
        take: limitOf(q) + 1,
      });
      return paginate(rows, limitOf(q), (r) => [Date.parse(r.bucket_start)]);
    },
    '/api/v1/alerts': async (stores, q) => {
      const limit = limitOf(q);
      const rows = await stores.alerts.list({ statuses: q.get('status')?.split(',') }, undefined, limit + 1);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map((r) => r.alert),
        next_cursor: rows.length > limit && last ? encodeCursor([last.openedUs, last.alert.alert_id]) : null,
      };
    },
  };
}

/** The API's postgres stores over `pool` (the real one, or a fake that records the SQL). */
function createStores(pool) {
  const adapter = (name) => require(path.join(API_DIST, 'adapters/postgres', name));
  return {
    readings: adapter('readings').createReadingsStore(pool),
    aggregates: adapter('window-aggregates').createAggregatesStore(pool),
    alerts: adapter('alerts').createAlertStore(pool),
  };
}

// ---------------------------------------------------------------------------------------------------
// History generated in SQL: readings, their 5 m and 15 m windows, devices and alerts

const log = (msg) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${msg}`);

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

/**
 * Generates readings for steps [kFrom, kTo) in chunks of whole 15 m windows, newest chunk first (so a
 * run cut short by the budget leaves contiguous history), one session per core (each inserting with the
 * indexes in place costs a core), then resolved alerts over the span reached.
 */
async function generate(clients, { kFrom, kTo, stepS, nowS, budgetMs, label }) {
  const [client] = clients;
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
      clients.map((c, i) => c.query(GENERATE_SQL, [k0, k1, stepS, nowS, i, clients.length])),
    );
    for (const { rows } of results) {
      raw += rows[0].raw;
      windows += rows[0].windows;
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
async function vacuum(client) {
  const started = Date.now();
  await client.query('VACUUM (ANALYZE) raw_events, window_aggregates, devices, alerts');
  return (Date.now() - started) / 1000;
}

/** Dirty and under-writeback page cache, MiB, from /proc/meminfo (0 where there is none). */
function dirtyMiB() {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0);
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
async function settle(client, label) {
  const started = Date.now();
  let checkpoint = 'done';
  log(`${label}: CHECKPOINT and waiting for writeback (${dirtyMiB().toFixed(0)} MiB dirty)...`);
  await client.query('CHECKPOINT').catch((err) => {
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

async function databaseSize(client) {
  const { rows } = await client.query(
    `SELECT pg_total_relation_size('raw_events')::float8 AS "rawBytes",
            (SELECT count(*) FROM window_aggregates)::int AS "windowRows",
            (SELECT count(*) FROM alerts)::int AS "alertRows"`,
  );
  return rows[0];
}

// ---------------------------------------------------------------------------------------------------
// Processes

const children = new Set();
// A crash of this process must not leave the API, processor or producer running (and the ports taken).
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));

/** Starts a child and tracks it; `ready` resolves when it answers, and rejects if it exits first. */
function start(child, ready) {
  children.add(child);
  const exited = new Promise((_, reject) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      reject(new Error(`child ${child.pid} exited (${code ?? signal}) before it was ready`));
    }),
  );
  exited.catch(() => undefined);
  return Promise.race([ready(child), exited]).then(() => child);
}

/**
 * `node [execArgv] script`; at niceness `nice` when above 0 (through nice(1), so every thread of the
 * process has it: Linux keeps a niceness per thread, and setpriority on the pid would reach only one).
 */
function spawnNode(script, env, execArgv = [], nice = 0) {
  const argv = [process.execPath, ...execArgv, script];
  const [cmd, ...rest] = nice > 0 ? ['nice', '-n', String(nice), ...argv] : argv;
  return spawn(cmd, rest, {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function forkRole(role, env, execArgv = []) {
  return fork(__filename, [], {
    env: { ...process.env, ...env, BENCH_API_ROLE: role },
    execArgv,
    stdio: 'inherit',
  });
}

/** Resolves with the first IPC message of `child` that has `key`. */
const message = (child, key) =>
  new Promise((resolve) => {
    const onMessage = (m) => {
      if (m && key in m) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
  });

/** Live readings of the whole fleet at `rate` events/s, ts_event now, values inside every alert band. */
async function runProducer() {
  const { BENCH_TOPIC: topic, BENCH_RATE } = process.env;
  const rate = Number(BENCH_RATE);
  const producer = kafka().producer();
  await producer.connect();
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  let stopping = false;
  process.on('message', (m) => m === 'stop' && (stopping = true));
  process.on('disconnect', () => process.exit(0)); // the bench died
  process.send({ ready: true });
  const started = Date.now();
  let sent = 0;
  for (let tick = 0; !stopping; tick += 1) {
    const due = started + tick * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const ts = new Date().toISOString();
    const messages = [];
    for (let i = 0; i < perTick; i += 1) {
      const n = sent + i;
      const f = FLEET[n % FLEET.length];
      const [sensor, unit] = SENSORS[Math.floor(n / FLEET.length) % SENSORS.length];
      const value = { co2: 500 + (n % 300), temperature: 21.5, humidity: 44, occupancy: n % 20 }[sensor];
      messages.push({
        key: f.device,
        value: JSON.stringify({
          event_id: randomUUID(),
          device_id: f.device,
          site_id: f.site,
          zone_id: f.zone,
          sensor_type: sensor,
          value,
          unit,
          ts_event: ts,
        }),
      });
    }
    await producer.send({ topic, messages });
    sent += messages.length;
  }
  await producer.disconnect();
  process.send({ sent, seconds: (Date.now() - started) / 1000 });
  process.disconnect();
}

/** node:http with no framework: route by path, run the same store call, JSON.stringify. */
async function runBareServer() {
  const http = require('node:http');
  const { createPool } = require('@telemetry-pulse/shared');
  const { withStatementTimeout } = require(path.join(API_DIST, 'compose'));
  const silent = { child: () => silent, warn() {}, info() {}, debug() {}, error() {} };
  // The API's pool settings: default size 10, 10 s statement timeout.
  const pool = createPool({
    url: withStatementTimeout(process.env.DATABASE_URL, 10_000),
    max: 10,
    applicationName: 'bench-bare-http',
    logger: silent,
  });
  const stores = createStores(pool);
  const calls = storeCalls();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const call = calls[url.pathname];
    if (!call) {
      res.writeHead(404).end();
      return;
    }
    call(stores, url.searchParams).then(
      (body) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      },
      (err) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      },
    );
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => pool.end().then(() => process.exit(0)));
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop); // the bench died
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

async function appliedOffsets(pool, group, topic) {
  const { rows } = await pool.query(
    'SELECT coalesce(sum(greatest(next_offset, 0)), 0)::bigint AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return Number(rows[0].n);
}

/** Rows in raw_events, from the trigger-kept counts (count(*) would read the whole table). */
async function rawRows(pool) {
  const { rows } = await pool.query('SELECT coalesce(sum(events), 0)::bigint AS n FROM raw_event_counts');
  return Number(rows[0].n);
}

// ---------------------------------------------------------------------------------------------------
// Measuring

/** One measured (or warm-up) run of `paths` against `server` at --rate with the chosen --pacing. */
function load(server, paths, seconds) {
  return loadAt(args.pacing, server, paths, seconds, {
    rate: Number(args.rate),
    connections: Number(args.connections),
  });
}

/** Checks that both servers answer every path with 200 and items; warns when their counts differ. */
async function verify(route, servers) {
  for (const p of route.paths) {
    const counts = [];
    for (const server of Object.values(servers)) {
      const res = await fetch(server.origin + p);
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${server.origin}${p}: ${res.status} ${JSON.stringify(body)}`);
      if (body.items.length === 0) throw new Error(`${p}: no items; the generated data misses this query`);
      counts.push(body.items.length);
    }
    // A live window can open between the two calls; anything else means the two servers differ.
    if (new Set(counts).size !== 1)
      log(`warning: ${p}: koa and node:http answered ${counts.join(' and ')} items`);
  }
}

/** Summarises a JSON plan: node types (with relation or index) in tree order, time and buffers. */
function summarisePlan(explained) {
  const nodes = [];
  const walk = (n) => {
    const on = n['Index Name'] ?? n['Relation Name'];
    nodes.push(on ? `${n['Node Type']} (${on})` : n['Node Type']);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(explained.Plan);
  return {
    nodes: nodes.join(' > '),
    ms: explained['Execution Time'],
    buffers: (explained.Plan['Shared Hit Blocks'] ?? 0) + (explained.Plan['Shared Read Blocks'] ?? 0),
  };
}

/** EXPLAIN (ANALYZE, BUFFERS) of the SQL each route's store call sends, for its first path; median of 5. */
async function explainAll(pool, routeList) {
  const calls = storeCalls();
  const out = {};
  for (const route of routeList) {
    const url = new URL(route.paths[0], 'http://x');
    let captured;
    const recorder = {
      query: async (sql, params) => {
        captured = { sql, params };
        return { rows: [] };
      },
    };
    await calls[url.pathname](createStores(recorder), url.searchParams);
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const { rows } = await pool.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${captured.sql}`,
        captured.params,
      );
      runs.push(summarisePlan(rows[0]['QUERY PLAN'][0]));
    }
    runs.sort((a, b) => a.ms - b.ms);
    out[route.name] = runs[2];
  }
  return out;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One figure per field from several rounds of the same route and server: the median of each (failures
 * added up), with the lowest and highest p99 kept so the report shows the spread.
 */
function combineRounds(rounds) {
  const out = { rounds: rounds.length, p99Low: Math.min(...rounds.map((r) => r.p99)) };
  out.p99High = Math.max(...rounds.map((r) => r.p99));
  for (const key of Object.keys(rounds[0])) {
    const values = rounds.map((r) => r[key]);
    if (values.some((v) => v === undefined)) continue;
    if (key === 'failed') out[key] = values.reduce((a, b) => a + b, 0);
    else if (key === 'max') out[key] = Math.max(...values);
    else out[key] = median(values);
  }
  return out;
}

/**
 * Measures every route on both servers, --rounds times, while the producer feeds the processor; each
 * figure is the median of the rounds.
 */
async function measure(ctx, label) {
  const { servers, pool, group, topic } = ctx;
  const warmupS = durationMs(args.warmup) / 1000;
  const seconds = durationMs(args.duration) / 1000;
  let producer;
  if (Number(args['ingest-rate']) > 0) {
    producer = await start(
      forkRole('producer', { BENCH_TOPIC: topic, BENCH_RATE: args['ingest-rate'] }),
      (c) => message(c, 'ready'),
    );
    await sleep(5_000); // let the processor reach its steady state
  }
  const rowsBefore = await rawRows(pool);
  const appliedBefore = await appliedOffsets(pool, group, topic);
  const roles = new Map([
    [ctx.processorPid, 'processor'],
    [servers.koa.pid, 'koa API'],
    [servers.bare.pid, 'node:http server'],
    [process.pid, 'load generator'],
  ]);
  if (producer) roles.set(producer.pid, 'producer (the devices)');
  const cpuBefore = await cpuShare.snapshot(roles, pool);
  const t0 = Date.now();
  const load1 = os.loadavg()[0];
  const routeList = routes(Date.now());
  const rounds = Number(args.rounds);
  const names = Object.keys(servers);
  const runs = routeList.map(() => Object.fromEntries(names.map((n) => [n, []])));
  const loads = routeList.map(() => []);
  // Rounds outside, routes inside, and the servers' order swapped every round: each route and server is
  // sampled at several moments of the run, so one busy moment of the machine does not decide a figure.
  for (let round = 1; round <= rounds; round++) {
    for (const [i, route] of routeList.entries()) {
      if (round === 1) await verify(route, servers);
      for (const name of round % 2 === 1 ? names : [...names].reverse()) {
        const server = servers[name];
        if (warmupS > 0) await load(server, route.paths, warmupS);
        const r = await load(server, route.paths, seconds);
        runs[i][name].push(r);
        log(
          `${label}, round ${round}/${rounds}, ${route.name}, ${name}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
            `${fmt(r.rate)} req/s, ${r.failed} failed, ${r.cpuMsPerRequest.toFixed(2)} ms CPU/request` +
            (r.sendLagP99 === undefined ? '' : `, send lag p99 ${r.sendLagP99.toFixed(1)} ms`),
        );
      }
      loads[i].push(os.loadavg()[0]);
    }
  }
  const results = routeList.map((route, i) => ({
    route: route.name,
    ...Object.fromEntries(names.map((n) => [n, combineRounds(runs[i][n])])),
    load1: median(loads[i]),
  }));
  const cpu = cpuShare.share(cpuBefore, await cpuShare.snapshot(roles, pool));
  log(`${label}, CPU while measuring: ${cpuShare.describe(cpu)}`);
  const plans = await explainAll(pool, routeList);
  const ingest = {
    applied: (await appliedOffsets(pool, group, topic)) - appliedBefore,
    seconds: (Date.now() - t0) / 1000,
  };
  const rowsAfter = await rawRows(pool);
  if (producer) {
    producer.send('stop');
    const { sent, seconds: producedS } = await message(producer, 'sent');
    ctx.sentTotal += sent;
    Object.assign(ingest, {
      sent,
      producedS,
      backlog: ctx.sentTotal - (await appliedOffsets(pool, group, topic)),
    });
    await stopChild(producer);
  }
  return { label, rowsBefore, rowsAfter, loadavg: [load1, os.loadavg()[0]], results, plans, ingest, cpu };
}

/**
 * The first dataset: devices, whole 15 m windows of readings back from the current step, resolved and
 * open alerts, then VACUUM ANALYZE. Returns its load figures and the first step it covers.
 */
async function seedFirstDataset(loaders, { rows, stepS }) {
  const [loader] = loaders;
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
  const small = await generate(loaders, {
    kFrom: kSplit,
    kTo: kEnd,
    stepS,
    nowS,
    budgetMs: Infinity,
    label: 'first dataset',
  });
  await loader.query(OPEN_ALERTS_SQL, [OPEN_ALERTS + ACKNOWLEDGED_ALERTS, ACKNOWLEDGED_ALERTS, nowS]);
  small.vacuumS = await vacuum(loader);
  small.settled = await settle(loader, 'first dataset');
  Object.assign(small, await databaseSize(loader));
  log(
    `first dataset: ${fmt(small.raw)} rows in ${small.loadS.toFixed(0)} s, VACUUM ANALYZE ${small.vacuumS.toFixed(0)} s`,
  );
  return { small, kSplit, nowS };
}

/**
 * The API process (`dist`, default the compiled services/api; another build can be compared with it),
 * ready; `execArgv` is passed to node (e.g. `--cpu-prof`). The rate limiter runs, as in production,
 * but never refuses the load.
 */
async function startApi(dbUrl, { topic, group, dist = API_DIST, execArgv = [], env = {} }) {
  const port = await freePort();
  const child = await start(
    spawnNode(
      path.join(dist, 'main.js'),
      {
        DATABASE_URL: dbUrl,
        KAFKA_BROKERS: BROKERS.join(','),
        API_PORT: String(port),
        API_HOST: '127.0.0.1',
        API_RATE_LIMIT: '100000',
        API_RATE_BURST: '100000',
        PROCESSOR_TOPIC: topic,
        PROCESSOR_GROUP_ID: group,
        ...env,
      },
      execArgv,
    ),
    () => waitOk(`http://127.0.0.1:${port}/readyz`),
  );
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid, child };
}

/** The bare node:http server (this file, forked), ready; `execArgv` is passed to node. */
async function startBare(dbUrl, { execArgv = [] } = {}) {
  let port;
  const child = await start(forkRole('bare', { DATABASE_URL: dbUrl }, execArgv), (c) =>
    message(c, 'port').then((m) => (port = m.port)),
  );
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid, child };
}

// ---------------------------------------------------------------------------------------------------
// Orchestration

let args;
/** The signal that interrupted the run, if one did: the run's own errors after it are expected. */
let interrupted;

async function main() {
  ({ values: args } = parseArgs({
    options: {
      'rows-small': { type: 'string', default: '5000000' },
      'rows-large': { type: 'string', default: '50000000' },
      'load-budget': { type: 'string', default: '25m' },
      interval: { type: 'string', default: '30s' },
      rate: { type: 'string', default: '200' },
      connections: { type: 'string', default: '10' },
      duration: { type: 'string', default: '15s' },
      warmup: { type: 'string', default: '2s' },
      'ingest-rate': { type: 'string', default: '15000' },
      pacing: { type: 'string', default: 'even' },
      'processor-nice': { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
  if (args.help) {
    console.log(HELP);
    return;
  }
  if (!PACINGS.includes(args.pacing)) throw new Error(`--pacing must be one of ${PACINGS.join(', ')}`);
  const nice = Number(args['processor-nice']);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error('--processor-nice must be 0-19');
  const stepS = durationMs(args.interval) / 1000;
  if (!Number.isInteger(stepS) || 900 % stepS !== 0) throw new Error('--interval must divide 15m');
  const rounds = Number(args.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive whole number');
  const rowsSmall = Number(args['rows-small']);
  const rowsLarge = Number(args['rows-large']);
  const stepsPerWindow = 900 / stepS;
  const benchStarted = Date.now();

  const db = await scratchDatabase();
  const topic = uid('bench.api-events');
  const group = uid('bench-api-processor');
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // A server restart surfaces as a failed query (and the cleanup below), not as a crash from an idle client.
  pool.on('error', (err) => log(`database connection lost: ${err.message}`));
  // One loading session per core; dropping the database at the end terminates them.
  const loaders = os.cpus().map(() => new pg.Client({ connectionString: db.url }));
  loaders.forEach((l) => l.on('error', () => undefined));
  const report = { runs: [], loads: [] };
  // Once, whether the run ends, fails or is interrupted (Ctrl-C): nothing stays behind on the shared
  // servers, and no processor keeps running.
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const child of [...children].reverse()) await stopChild(child);
      for (const l of loaders) await l.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await db.drop().catch((err) => log(`could not drop the scratch database: ${err.message}`));
      await withAdmin((a) => a.deleteTopics({ topics: [topic, `${topic}.dlq`] })).catch(() => undefined);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      interrupted = signal;
      log(`${signal}: stopping; removing the processes, the scratch database and the topics...`);
      cleanup().finally(() => process.exit(130));
    });
  try {
    const { rows: settings } = await pool.query(
      `SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name) AS s FROM pg_settings
        WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'server_version')`,
    );
    report.postgres = settings[0].s;
    migrateDatabase(db.url);
    await withAdmin((a) =>
      a.createTopics({
        topics: [
          { topic, numPartitions: 6 },
          { topic: `${topic}.dlq`, numPartitions: 1 },
        ],
      }),
    );
    for (const l of loaders) {
      await l.connect();
      await l.query('SET synchronous_commit = off');
    }
    const [loader] = loaders;

    const { small, kSplit, nowS } = await seedFirstDataset(loaders, { rows: rowsSmall, stepS });
    report.loads.push(small);

    // The processor, the API and the bare server, each in its own process.
    const processorPort = await freePort();
    const processor = await start(
      spawnNode(
        path.join(ROOT, 'services/processor/dist/main.js'),
        {
          DATABASE_URL: db.url,
          KAFKA_BROKERS: BROKERS.join(','),
          PROCESSOR_TOPIC: topic,
          PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
          PROCESSOR_GROUP_ID: group,
          PROCESSOR_PORT: String(processorPort),
          PROCESSOR_HOST: '127.0.0.1',
        },
        [],
        nice,
      ),
      () => waitOk(`http://127.0.0.1:${processorPort}/readyz`),
    );
    const ctx = {
      servers: {
        koa: await startApi(db.url, { topic, group }),
        bare: await startBare(db.url),
      },
      pool,
      group,
      topic,
      sentTotal: 0,
      processorPid: processor.pid,
    };

    report.runs.push(await measure(ctx, `${fmt(small.raw)} rows`));

    if (rowsLarge > small.raw) {
      const kFrom =
        Math.floor((kSplit - Math.ceil((rowsLarge - small.raw) / SERIES)) / stepsPerWindow) * stepsPerWindow;
      log(`adding older history up to ${fmt(rowsLarge)} rows (budget ${args['load-budget']})...`);
      const large = await generate(loaders, {
        kFrom,
        kTo: kSplit,
        stepS,
        nowS,
        budgetMs: durationMs(args['load-budget']),
        label: 'older history',
      });
      large.vacuumS = await vacuum(loader);
      large.settled = await settle(loader, 'older history');
      Object.assign(large, await databaseSize(loader));
      report.loads.push(large);
      log(
        `added ${fmt(large.raw)} rows in ${large.loadS.toFixed(0)} s${large.cut ? ' (LOAD BUDGET RAN OUT)' : ''}, ` +
          `VACUUM ANALYZE ${large.vacuumS.toFixed(0)} s`,
      );
      report.runs.push(await measure(ctx, `${fmt(small.raw + large.raw)} rows`));
    }
  } finally {
    await cleanup();
  }
  report.totalS = (Date.now() - benchStarted) / 1000;
  print(report, stepS);
}

// ---------------------------------------------------------------------------------------------------
// Report

function print(r, stepS) {
  const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const range = (f) => (f.rounds > 1 ? `${ms(f.p99Low)}-${ms(f.p99High)}` : '-');
  const x = (a, b) => `${(a / b).toFixed(2)}x`;
  const lines = [
    '',
    `API benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ` +
      `Node ${process.version}; Kafka, PostgreSQL, processor, API and load generator on the one machine`,
    `load: ${args.rate} requests/s per route, ${args.rounds} rounds of ${args.duration} measured after ${args.warmup} warm-up, per route and server ` +
      '(figures are medians of the rounds); ' +
      describePacing(args.pacing, { rate: Number(args.rate), connections: Number(args.connections) }),
    `PostgreSQL: ${r.postgres}`,
    `processor niceness: ${args['processor-nice']}` +
      (Number(args['processor-nice']) > 0 ? ' (its PostgreSQL sessions, Kafka and the producer at 0)' : ''),
    `fleet: ${SITES} sites x ${ZONES_PER_SITE} zones x ${DEVICES_PER_ZONE} devices x ${SENSORS.length} sensors (${SERIES} series), ` +
      `one reading per sensor every ${stepS} s`,
    '',
    '| dataset | generated raw rows | history | load (rows/s) | VACUUM ANALYZE | CHECKPOINT and writeback | raw_events with indexes | window rows | alerts |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  r.loads.forEach((l, i) => {
    const days = ((l.raw / SERIES) * stepS) / 86400;
    lines.push(
      `| ${i === 0 ? 'first' : 'older history added'}${l.cut ? ' (BUDGET RAN OUT)' : ''} | ${fmt(l.raw)} ` +
        `| ${days.toFixed(1)} days | ${l.loadS.toFixed(0)} s (${fmt(l.raw / l.loadS)}) | ${l.vacuumS.toFixed(0)} s ` +
        `| ${l.settled.seconds.toFixed(0)} s${l.settled.checkpoint === 'done' ? '' : ' (no CHECKPOINT)'}, ${l.settled.dirtyMiB.toFixed(0)} MiB left dirty ` +
        `| ${(l.rawBytes / 2 ** 30).toFixed(2)} GiB | ${fmt(l.windowRows)} | ${fmt(l.alertRows)} |`,
    );
  });
  for (const run of r.runs) {
    const ing = run.ingest;
    lines.push(
      '',
      `#### ${run.label} generated; raw_events held ${fmt(run.rowsBefore)} rows when measuring began, ${fmt(run.rowsAfter)} at the end`,
      '',
      ing.sent === undefined
        ? 'no live ingestion'
        : `live ingestion: produced ${fmt(ing.sent / ing.producedS)} events/s (target ${fmt(Number(args['ingest-rate']))}), ` +
            `processor applied ${fmt(ing.applied / ing.seconds)} events/s while measuring, ` +
            `backlog when the producer stopped ${fmt(ing.backlog)}; 1-min load average ${run.loadavg.map((l) => l.toFixed(1)).join(' -> ')}`,
      '',
      `CPU while measuring: ${cpuShare.describe(run.cpu)}`,
      '',
      '| route | req/s | p50 ms | p90 ms | p99 ms | p99 rounds | max ms | failed | node:http p50 | node:http p99 | node:http p99 rounds | koa/http p99 | koa/http mean | CPU ms/req koa / node:http | load 1 min |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of run.results) {
      const k = row.koa;
      const b = row.bare;
      lines.push(
        `| ${row.route} | ${fmt(k.rate)} | ${ms(k.p50)} | ${ms(k.p90)} | ${ms(k.p99)} | ${range(k)} | ${ms(k.max)} ` +
          `| ${k.failed + b.failed} | ${ms(b.p50)} | ${ms(b.p99)} | ${range(b)} | ${x(k.p99, b.p99)} | ${x(k.mean, b.mean)} ` +
          `| ${k.cpuMsPerRequest.toFixed(2)} / ${b.cpuMsPerRequest.toFixed(2)} | ${row.load1.toFixed(1)} |`,
      );
    }
    const lags = run.results.flatMap((row) => [row.koa.sendLagP99, row.bare.sendLagP99]);
    if (lags.every((l) => l !== undefined))
      lines.push(
        '',
        `load generator's own send lag, p99 per run: ${Math.min(...lags).toFixed(1)}-${Math.max(...lags).toFixed(1)} ms ` +
          '(part of every latency above: the time each request left after it was due)',
      );
    const slow = run.results.filter((row) => !(row.koa.p99 <= 50));
    const worst = run.results.reduce((w, row) => (row.koa.p99High > w.koa.p99High ? row : w));
    lines.push(
      '',
      (slow.length === 0
        ? `p99 <= 50 ms on koa for every route (median of ${args.rounds} rounds): met`
        : `p99 <= 50 ms (median of ${args.rounds} rounds): MISSED on ${slow.map((row) => `${row.route} (${ms(row.koa.p99)} ms)`).join(', ')}`) +
        `; worst single round: ${worst.route}, ${ms(worst.koa.p99High)} ms`,
      '',
      '| query (first path) | plan | execution ms (median of 5) | buffers |',
      '| --- | --- | ---: | ---: |',
    );
    for (const [name, p] of Object.entries(run.plans))
      lines.push(`| ${name} | ${p.nodes} | ${p.ms.toFixed(3)} | ${fmt(p.buffers)} |`);
  }
  if (r.runs.length === 2) {
    const [a, b] = r.runs;
    lines.push(
      '',
      `#### Growth: ${b.label} against ${a.label} generated (target: no more than 1.50x)`,
      '',
      '| route | koa p50 | koa p99 | node:http p50 | node:http p99 | SQL execution | SQL buffers |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    a.results.forEach((ra, i) => {
      const rb = b.results[i];
      const pa = a.plans[ra.route];
      const pb = b.plans[ra.route];
      lines.push(
        `| ${ra.route} | ${x(rb.koa.p50, ra.koa.p50)} | ${x(rb.koa.p99, ra.koa.p99)} | ${x(rb.bare.p50, ra.bare.p50)} ` +
          `| ${x(rb.bare.p99, ra.bare.p99)} | ${x(pb.ms, pa.ms)} | ${x(pb.buffers, pa.buffers)} |`,
      );
    });
  }
  lines.push('', `whole run: ${(r.totalS / 60).toFixed(1)} min`);
  console.log(lines.join('\n'));
}

module.exports = {
  routes,
  log,
  verify,
  seedFirstDataset,
  startApi,
  startBare,
  children,
};

if (ROLE === 'producer') runProducer().catch(fail);
else if (ROLE === 'bare') runBareServer().catch(fail);
else if (require.main === module) main().catch((err) => (interrupted ? undefined : fail(err)));

function fail(err) {
  console.error(err);
  process.exit(1);
}

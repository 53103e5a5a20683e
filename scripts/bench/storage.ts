// Issue 19, item 3: does ingest slow down as history grows, and what does a retention drop cost?
// Side by side in one run on the real local broker and database:
//   1. the processor draining one backlog into an empty database (partitions created, no rows),
//   2. the same drain into a database holding --history-rows raw rows across --days daily partitions,
//      plus their 5 m / 15 m / 1 h / 1 d windows (generated in SQL with generate_series, not via Kafka),
//      rounds alternating A, B, A, B on fresh groups (the backlog's partitions and state reset between);
//   3. the oldest partition (--drop-rows rows) dropped by the processor's own drop code while the
//      processor drains the backlog again, with a probe inserting one row every 20 ms to catch a stall.
// Heavy: about 20 GB of disk and 15-30 min for 100 M rows. Run it niced, once.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  BROKERS,
  ROOT,
  applied,
  load,
  migrateDatabase,
  rssMiB,
  scratchDatabase,
  sleep,
  spawnProcessor,
  stopChild,
  uid,
  waitOk,
  withAdmin,
  type ScratchDatabase,
} from './common.ts';
import { fmt } from './figures.ts';

const HELP = `Usage: node scripts/bench/storage.ts [--history-rows 100000000] [--days 33] [--drop-rows 10000000]
                                   [--zones 200] [--backfill 24h] [--rounds 2] [--keep]

  --history-rows  raw rows of history in database B (default 100,000,000), --drop-rows of them in the
                  oldest day and the rest spread over the --days - 1 days after it
  --days          daily partitions of history (default 33), ending two days before today
  --zones         zones whose windows fill the tiers (default 200, 4 sensors each)
  --backfill      the simulator backlog each drain consumes (default 24h, every 30 s, 45 devices)
  --rounds        drains per database, alternating (default 2)
  --keep          keep database B afterwards and print its URL`;

const { values: args } = parseArgs({
  options: {
    'history-rows': { type: 'string', default: '100000000' },
    days: { type: 'string', default: '33' },
    'drop-rows': { type: 'string', default: '10000000' },
    zones: { type: 'string', default: '200' },
    backfill: { type: 'string', default: '24h' },
    rounds: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const HISTORY_ROWS = Number(args['history-rows']);
const DAYS = Number(args.days);
const DROP_ROWS = Number(args['drop-rows']);
const ZONES = Number(args.zones);
const ROUNDS = Number(args.rounds);
const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const FIRST_DAY = TODAY - (DAYS + 1) * DAY; // the oldest history day; history ends the day before yesterday
const log = (msg: string): void => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${msg}`);
const partitionName = (ms: number): string =>
  `raw_events_p${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')}`;
// The processors here keep every history day (the raw retention reaches just past the oldest, so they create
// no empty partitions before it): retention is exercised by the drop step alone.
const KEEP_ALL = { PROCESSOR_RAW_RETENTION: `${DAYS + 3}d`, PROCESSOR_WINDOW_RETENTION: '5m=400d,15m=400d' };

function preload(topic: string): void {
  log(`preloading ${topic} with the simulator's backfill (${args.backfill} every 30s)...`);
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'services/simulator/dist/main.js'),
      ...['--backfill', args.backfill, '--interval', '30s', '--rate', '0', '--seed', '1'],
      ...['--topic', topic, '--dlq-topic', `${topic}.dlq`, '--partitions', '6'],
      ...['--duplicate-rate', '0', '--late-rate', '0', '--out-of-order-rate', '0'],
      ...['--malformed-rate', '0', '--anomaly-rate', '0'],
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn', KAFKA_BROKERS: BROKERS.join(','), SIM_METRICS_PORT: '0' },
    },
  );
}

/** Empty partitions from `fromMs` to two days ahead. */
async function createPartitions(pool: pg.Pool, fromMs: number): Promise<void> {
  for (let day = fromMs; day <= TODAY + 2 * DAY; day += DAY) {
    await pool.query(
      'SELECT create_raw_events_partition(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000))',
      [day, day + DAY],
    );
  }
}

/**
 * One day of raw history: `rows` readings of 1000 devices x 4 sensors spread evenly over the day, random
 * v4 ids. Loaded into a standalone table, indexed like raw_events, then attached (a CHECK constraint
 * spares the ATTACH its scan): the same partition as the processor's, built about twice as fast as
 * inserting through the indexes. Table names are computed here, never taken from input.
 */
async function generateDay(pool: pg.Pool, dayMs: number, rows: number): Promise<void> {
  const name = partitionName(dayMs);
  const [from, to] = [new Date(dayMs).toISOString(), new Date(dayMs + DAY).toISOString()];
  await pool.query(`CREATE TABLE ${name} (LIKE raw_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await pool.query(`ALTER TABLE ${name} ADD CHECK (ts_event >= '${from}' AND ts_event < '${to}')`);
  await pool.query(
    `INSERT INTO ${name} (event_id, device_id, site_id, zone_id, sensor_type, value, unit, ts_event,
                          ingested_at, kafka_partition, kafka_offset, lateness)
     SELECT gen_random_uuid(), 'dev-' || (i % 1000), 'site-' || (i % 1000 / 100), 'zone-' || (i % 1000 / 5),
            (ARRAY['co2', 'temperature', 'humidity', 'occupancy'])[1 + (i / 1000) % 4],
            400 + (i % 797), NULL, ts, ts + interval '200 ms', (i % 6)::int, i, 'on_time'
       FROM generate_series(0::bigint, $2::bigint - 1) AS i,
            LATERAL (SELECT to_timestamp($1::float8 / 1000 + i * (86400.0 / $2)) AS ts) t`,
    [dayMs, rows],
  );
  await pool.query(`ALTER TABLE ${name} ADD PRIMARY KEY (ts_event, event_id)`);
  await pool.query(`CREATE INDEX ON ${name} (device_id, sensor_type, ts_event DESC)`);
  await pool.query(`CREATE INDEX ON ${name} USING brin (ingested_at)`);
  await pool.query(`CREATE INDEX ON ${name} (lateness, ingested_at) WHERE lateness <> 'on_time'`);
  await pool.query(
    `ALTER TABLE raw_events ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`,
  );
}

/** 5 m, 15 m, 1 h and 1 d windows for every history day, `zones` zones x 4 sensors. */
async function generateWindows(pool: pg.Pool): Promise<void> {
  await pool.query(
    `INSERT INTO window_aggregates (window_seconds, site_id, zone_id, sensor_type, window_start, sample_count,
                                    value_sum, value_sum_sq, value_min, value_max, is_final)
     SELECT w.secs, 'site-' || (z / 40), 'zone-' || z, s.sensor_type, ws, 20, 20 * 500.0, 20 * 250000.0, 400, 600, true
       FROM generate_series(0, $3::int - 1) AS z
      CROSS JOIN (VALUES ('co2'), ('temperature'), ('humidity'), ('occupancy')) AS s(sensor_type)
      CROSS JOIN (VALUES (300), (900), (3600), (86400)) AS w(secs)
      CROSS JOIN LATERAL generate_series(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000) - interval '1 second',
                                         make_interval(secs => w.secs)) AS ws`,
    [FIRST_DAY, TODAY - DAY, ZONES],
  );
}

interface History {
  raw: string;
  partitions: string;
  windows: string;
  raw_size: string;
  windows_size: string;
  rawS: number;
  windowsS: number;
  vacuumS: number;
}

async function buildHistory(pool: pg.Pool): Promise<History> {
  const perDay = Math.round((HISTORY_ROWS - DROP_ROWS) / (DAYS - 1));
  const started = Date.now();
  log(
    `history: ${fmt(DROP_ROWS)} rows in ${partitionName(FIRST_DAY)}, ${fmt(perDay)} in each of ${DAYS - 1} days after`,
  );
  // Two sessions, each its own days: the server gets both cores while the bench process waits.
  const days = Array.from({ length: DAYS }, (_, i) => FIRST_DAY + i * DAY);
  let done = 0;
  const worker = async (mine: number[]): Promise<void> => {
    for (const day of mine) {
      await generateDay(pool, day, day === FIRST_DAY ? DROP_ROWS : perDay);
      done += 1;
      log(`  ${done}/${DAYS} days (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all([worker(days.filter((_, i) => i % 2 === 0)), worker(days.filter((_, i) => i % 2 === 1))]);
  const rawS = (Date.now() - started) / 1000;
  await pool.query(
    `INSERT INTO raw_event_counts (kafka_partition, day, events)
     SELECT kafka_partition, (ts_event AT TIME ZONE 'UTC')::date, count(*) FROM raw_events GROUP BY 1, 2`,
  );
  const w = Date.now();
  await generateWindows(pool);
  const windowsS = (Date.now() - w) / 1000;
  const v = Date.now();
  await pool.query('VACUUM (ANALYZE) raw_events, window_aggregates');
  await pool.query('CHECKPOINT').catch(() => undefined); // superuser only; the drains start from whatever state
  const { rows } = await pool.query<Omit<History, 'rawS' | 'windowsS' | 'vacuumS'>>(
    `SELECT (SELECT sum(events)::bigint FROM raw_event_counts) AS raw,
            (SELECT count(*) FROM pg_inherits WHERE inhparent = 'raw_events'::regclass) AS partitions,
            (SELECT count(*) FROM window_aggregates) AS windows,
            pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
                             WHERE inhparent = 'raw_events'::regclass)) AS raw_size,
            pg_size_pretty(pg_total_relation_size('window_aggregates')) AS windows_size`,
  );
  const sizes = rows[0];
  if (!sizes) throw new Error('no history figures');
  return { ...sizes, rawS, windowsS, vacuumS: (Date.now() - v) / 1000 };
}

/** Removes what a drain wrote (the backlog's days, its windows, the derived state) so the next starts even. */
async function resetDrain(pool: pg.Pool): Promise<void> {
  await pool.query(
    `TRUNCATE ${partitionName(TODAY - DAY)}, ${partitionName(TODAY)}, raw_events_default, alerts, alert_rule_state,
              dead_letters, consumer_offsets, devices`,
  );
  await pool.query('DELETE FROM window_aggregates WHERE window_start >= to_timestamp($1::float8 / 1000)', [
    TODAY - DAY,
  ]);
  await pool.query('DELETE FROM raw_event_counts WHERE day >= $1::date', [
    new Date(TODAY - DAY).toISOString(),
  ]);
  await pool.query('VACUUM (ANALYZE) window_aggregates');
}

/** Transactions slower than 250 ms so far, from the processor's histogram. */
async function slowTransactions(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const bucket = (le: string): number =>
    Number(
      new RegExp(`telemetry_processor_db_transaction_duration_seconds_bucket\\{le="${le}"\\} (\\d+)`).exec(
        text,
      )?.[1] ?? 0,
    );
  return bucket('\\+Inf') - bucket('0.25');
}

/** One drain of the whole backlog by a fresh group; `during` runs once the drain is under way. */
interface Drain<T> {
  rate: number;
  seconds: number;
  rss: number;
  slow: number;
  extra: T | undefined;
}

async function drain<T = undefined>(
  db: ScratchDatabase,
  pool: pg.Pool,
  topic: string,
  total: number,
  during?: () => Promise<T>,
): Promise<Drain<T>> {
  await resetDrain(pool);
  const group = uid('bench-storage');
  const port = 19470;
  const child = spawnProcessor(db.url, topic, group, port, KEEP_ALL);
  try {
    await waitOk(`http://127.0.0.1:${port}/readyz`, 120_000);
    const started = Date.now();
    let rss = 0;
    let extra: T | undefined;
    const pending = during ? sleep(3_000).then(during) : undefined;
    while ((await applied(pool, group, topic)) < total) {
      rss = Math.max(rss, rssMiB(child.pid ?? 0));
      if (Date.now() - started > 900_000) throw new Error('drain incomplete after 15 min');
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    if (pending) extra = await pending;
    return { rate: total / seconds, seconds, rss, slow: await slowTransactions(port), extra };
  } finally {
    await stopChild(child);
  }
}

/** Drops the oldest partition with the processor's own code while a probe inserts a row every 20 ms. */
interface Dropped {
  rows: number;
  heldMs: number | null;
  totalMs: number;
  probeMaxMs: number;
  probeMaxDuringMs: number;
  probes: number;
}

async function dropUnderIngest(dbUrl: string): Promise<Dropped> {
  const { dropRawPartition } = load(
    path.join(ROOT, 'services/processor/dist/adapters/postgres/raw-partitions.js'),
  ) as {
    dropRawPartition(
      pool: pg.Pool,
      name: string,
      o: { lockTimeoutMs: number; attempts: number; pauseMs: number },
    ): Promise<number | null>;
  };
  const pool = new pg.Pool({ connectionString: dbUrl, max: 3 });
  const probe = new pg.Client({ connectionString: dbUrl });
  await probe.connect();
  const { rows } = await pool.query<{ n: string }>(
    `SELECT sum(events)::bigint AS n FROM raw_event_counts WHERE day = $1::date`,
    [new Date(FIRST_DAY).toISOString()],
  );
  const probeMs: { at: number; ms: number }[] = [];
  let probing = true;
  const probeLoop = (async () => {
    for (let i = 0; probing && i < 100_000; i += 1) {
      const t = performance.now();
      await probe.query(
        `INSERT INTO raw_events (event_id, device_id, site_id, zone_id, sensor_type, value, ts_event, kafka_partition, kafka_offset)
         VALUES (gen_random_uuid(), 'probe', 'probe', 'probe', 'co2', 1, now(), 99, $1)`,
        [i],
      );
      probeMs.push({ at: t, ms: performance.now() - t });
      await sleep(20);
    }
  })();
  await sleep(1_000);
  const t0 = performance.now();
  const heldMs = await dropRawPartition(pool, partitionName(FIRST_DAY), {
    lockTimeoutMs: 100,
    attempts: 20,
    pauseMs: 250,
  });
  const totalMs = performance.now() - t0;
  await sleep(1_000);
  probing = false;
  await probeLoop;
  await probe.end();
  await pool.end();
  const around = probeMs.filter((p) => p.at >= t0 - 100 && p.at <= t0 + totalMs + 100);
  return {
    rows: Number(rows[0]?.n),
    heldMs,
    totalMs,
    probeMaxMs: Math.max(...probeMs.map((p) => p.ms)),
    probeMaxDuringMs: Math.max(0, ...around.map((p) => p.ms)),
    probes: probeMs.length,
  };
}

interface Results {
  total: number;
  drains: { A: Drain<undefined>[]; B: Drain<undefined>[] };
  history?: History;
  drop?: Drain<Dropped>;
}

async function main(): Promise<void> {
  const topic = uid('bench.storage');
  preload(topic);
  const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
  const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  log(`backlog: ${fmt(total)} events`);

  const dbA = await scratchDatabase();
  const dbB = await scratchDatabase();
  migrateDatabase(dbA.url);
  migrateDatabase(dbB.url);
  const poolA = new pg.Pool({ connectionString: dbA.url, max: 2 });
  const poolB = new pg.Pool({ connectionString: dbB.url, max: 2 });
  const results: Results = { total, drains: { A: [], B: [] } };
  try {
    await createPartitions(poolA, FIRST_DAY);
    await createPartitions(poolB, TODAY - DAY);
    results.history = await buildHistory(poolB);
    log(`history built: ${JSON.stringify(results.history)}`);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, db, pool] of [
        ['A', dbA, poolA],
        ['B', dbB, poolB],
      ] as const) {
        const r = await drain(db, pool, topic, total);
        results.drains[name].push(r);
        log(
          `drain ${name} round ${round + 1}: ${fmt(r.rate)} events/s (${r.seconds.toFixed(1)} s, RSS ${r.rss.toFixed(0)} MiB)`,
        );
      }
    }
    log('dropping the oldest partition while the processor drains the backlog into B again...');
    results.drop = await drain(dbB, poolB, topic, total, () => dropUnderIngest(dbB.url));
    log(`drop: ${JSON.stringify(results.drop.extra)}`);
  } finally {
    await poolA.end();
    await poolB.end();
    await dbA.drop();
    if (args.keep) log(`kept database B: ${dbB.url}`);
    else await dbB.drop();
    await withAdmin((a) => a.deleteTopics({ topics: [topic, `${topic}.dlq`] })).catch(() => undefined);
  }
  report(results);
}

function report(r: Results): void {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const a = median(r.drains.A.map((d) => d.rate));
  const b = median(r.drains.B.map((d) => d.rate));
  const h = r.history;
  const d = r.drop?.extra;
  if (!h || !r.drop || !d)
    throw new Error('unreachable: the run ended before its history and drop were measured');
  const lines = [
    '',
    `Storage benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores, broker and database co-located`,
    `backlog: ${fmt(r.total)} events (simulator backfill ${args.backfill}, every 30 s); database B: ${fmt(Number(h.raw))} raw rows in ` +
      `${h.partitions} partitions (${h.raw_size}), ${fmt(Number(h.windows))} windows (${h.windows_size}); ` +
      `generated in ${h.rawS.toFixed(0)} s (${fmt(Number(h.raw) / h.rawS)} rows/s) + windows ${h.windowsS.toFixed(0)} s + VACUUM ANALYZE ${h.vacuumS.toFixed(0)} s`,
    '',
    '| drain into | rounds (events/s) | median events/s | ratio to empty |',
    '| --- | --- | ---: | ---: |',
    `| A: empty database | ${r.drains.A.map((x) => fmt(x.rate)).join(', ')} | ${fmt(a)} | 1.00x |`,
    `| B: ${fmt(Number(h.raw))} rows of history | ${r.drains.B.map((x) => fmt(x.rate)).join(', ')} | ${fmt(b)} | ${(b / a).toFixed(2)}x |`,
    '',
    `transactions over 250 ms per drain: A ${r.drains.A.map((x) => x.slow).join(', ')}; B ${r.drains.B.map((x) => x.slow).join(', ')}; ` +
      `max RSS A ${Math.max(...r.drains.A.map((x) => x.rss)).toFixed(0)} MiB, B ${Math.max(...r.drains.B.map((x) => x.rss)).toFixed(0)} MiB`,
    `partition drop under ingest: ${fmt(d.rows)} rows, DROP transaction ${d.heldMs === null ? 'never got its lock' : `${d.heldMs.toFixed(0)} ms`} ` +
      `(${d.totalMs.toFixed(0)} ms with retries); probe insert every 20 ms: max ${d.probeMaxDuringMs.toFixed(0)} ms around the drop, ` +
      `${d.probeMaxMs.toFixed(0)} ms over ${d.probes} probes; drain meanwhile ${fmt(r.drop.rate)} events/s, ${r.drop.slow} transactions over 250 ms`,
  ];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

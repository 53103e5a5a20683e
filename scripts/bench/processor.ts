// npm run bench:processor: the processor against two baselines, measured side by side in one run on
// the real local broker and database:
//   1. a raw kafkajs eachBatch loop that only counts the backlog's messages,
//   2. a bare COPY of the same rows into raw_events, as CSV and in the binary format the processor sends,
//   3. the processor (compiled CLI, its own process) draining the same backlog,
// then a soak at half the processor's rate for latency (produce -> stored raw row) and memory (RSS).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type * as RawEvents from '../../services/processor/dist/adapters/postgres/raw-events.js';
import {
  BROKERS,
  ROOT,
  applied,
  load,
  cpuSeconds,
  kafka,
  migrateDatabase,
  procStat,
  rssMiB,
  scratchDatabase,
  sleep,
  spawnProcessor,
  uid,
  withAdmin,
} from './common.ts';
import { durationMs, fmt, median, percentile } from './figures.ts';

const HELP = `Usage: npm run bench:processor -- [--backfill 24h] [--interval 30s] [--soak 5m] [--soak-rate N]
                                [--rounds 1]

  --backfill   history the simulator preloads (default 24h; with 45 devices x 4 sensors every
               --interval 30s that is 518,400 events)
  --interval   simulated time between a device's reports in the backfill (default 30s)
  --soak       length of the half-rate run for latency and memory (default 5m; 0 skips it)
  --soak-rate  events/s for the soak (default: half the processor's measured drain rate)
  --rounds     rounds of the comparisons after the first (default 1): each round two bare COPYs (CSV, and
               binary as the processor sends its rows), an untraced
               drain, a traced drain and an untraced one again, each into a fresh database, so that the
               ratios are taken within a round and their medians over rounds (single drains of 10-30 s
               move with whatever else the machine runs)`;

const { values: args } = parseArgs({
  options: {
    backfill: { type: 'string', default: '24h' },
    interval: { type: 'string', default: '30s' },
    soak: { type: 'string', default: '5m' },
    'soak-rate': { type: 'string' },
    rounds: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const soakMs = args.soak === '0' ? 0 : durationMs(args.soak);
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error(`--rounds: expected a whole number from 1 to 20, got ${JSON.stringify(args.rounds)}`);
  process.exit(2);
}
const log = (msg: string): void => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${msg}`);

/** A local OTLP/HTTP receiver that accepts and counts trace exports (the "local collector"). */
function startOtlpSink(): Promise<{
  url: string;
  stats: { requests: number; bytes: number };
  close: () => void;
}> {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (stats.bytes += chunk.length));
    req.on('end', () => {
      stats.requests += 1;
      res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/json' }).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stats,
        close: () => void server.close(),
      }),
    ),
  );
}

async function preload(topic: string, otlpUrl: string): Promise<number> {
  log(`preloading ${topic} with the simulator's backfill (${args.backfill} every ${args.interval})...`);
  const started = Date.now();
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'services/simulator/dist/main.js'),
      '--backfill',
      args.backfill,
      '--interval',
      args.interval,
      '--rate',
      '0',
      '--seed',
      '1',
      '--topic',
      topic,
      '--dlq-topic',
      `${topic}.dlq`,
      '--partitions',
      '6',
      // Clean readings: the baselines parse every message, and faults are the fault tests' business.
      ...['--duplicate-rate', '0', '--late-rate', '0', '--out-of-order-rate', '0'],
      ...['--malformed-rate', '0', '--anomaly-rate', '0'],
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      // Traced, so every message carries a traceparent header for the traced drain to link to.
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: BROKERS.join(','),
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
        SIM_METRICS_PORT: '0',
      },
    },
  );
  const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
  const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  log(`preloaded ${fmt(total)} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return total;
}

/** Baseline 1: consume the backlog and only count. Optionally keep the values (untimed pass). */
/** A consumed message, kept for the COPY baseline. */
interface Kept {
  partition: number;
  offset: string;
  value: Buffer | null;
}

async function consumeAll(
  topic: string,
  total: number,
  keep: boolean,
): Promise<{ rate: number; elapsed: number; kept: Kept[] }> {
  const consumer = kafka().consumer({ groupId: uid('bench-raw'), maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const kept: Kept[] = [];
  let seen = 0;
  let first = 0;
  let resolveDone = (): void => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      if (!first) first = Date.now();
      seen += batch.messages.length;
      if (keep)
        for (const m of batch.messages)
          kept.push({ partition: batch.partition, offset: m.offset, value: m.value });
      if (seen >= total) resolveDone();
    },
  });
  await done;
  const elapsed = (Date.now() - first) / 1000;
  await consumer.disconnect();
  return { rate: total / elapsed, elapsed, kept };
}

/**
 * CPU seconds (user + system) used so far by every PostgreSQL process on this machine, from /proc: with the
 * drain's elapsed time this says where the work went, a figure the machine's other load does not skew.
 * (A backend that exits between two readings takes its seconds with it: measure around long-lived sessions.)
 */
function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const s = procStat(entry);
      if (s.comm === 'postgres') ticks += s.ticks;
    } catch {
      // ended between readdir and read
    }
  }
  return ticks / 100;
}

/**
 * The day partitions of raw_events that a backlog's event times fall in, created in `dbUrl` the way a running
 * processor creates each day's ahead of time (a fresh database has only today's and the next ones).
 */
async function createDayPartitions(dbUrl: string, minMs: number, maxMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const day = 86_400_000;
    for (let from = Math.floor(minMs / day) * day; from <= maxMs; from += day)
      await client.query(
        'SELECT create_raw_events_partition(to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0))',
        [from, from + day],
      );
  } finally {
    await client.end();
  }
}

/**
 * Baseline 2: a bare COPY of the same rows, in one transaction, into raw_events itself (the same partitioned
 * table, partitions, indexes and counting trigger) of its own freshly migrated database.
 */
interface Copy {
  rate: number;
  elapsed: number;
  minMs: number;
  maxMs: number;
  pgCpu: number;
}

/**
 * The rows of the COPY baselines, and the event-time range they span: CSV lines, and the binary COPY payload
 * the processor's own encoder makes of them (the format the processor sends since 2026-12-05).
 */
interface CopyRows {
  csv: string[];
  binary: Buffer;
  minMs: number;
  maxMs: number;
}

/** A row as the processor's COPY encoder takes it. */
type Reading = Parameters<typeof RawEvents.copyRows>[0][number];

function copyRows(messages: readonly Kept[]): CopyRows {
  const rawEvents = load(
    path.join(ROOT, 'services/processor/dist/adapters/postgres/raw-events.js'),
  ) as typeof RawEvents;
  const csv: string[] = [];
  const readings: Reading[] = [];
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const m of messages) {
    const e = JSON.parse(String(m.value)) as Record<string, unknown>;
    const ms = Date.parse(String(e['ts_event']));
    minMs = Math.min(minMs, ms);
    maxMs = Math.max(maxMs, ms);
    csv.push(
      [
        e['event_id'],
        e['device_id'],
        e['site_id'],
        e['zone_id'],
        e['sensor_type'],
        e['value'],
        e['unit'] ?? '',
        e['ts_event'],
        m.partition,
        m.offset,
        'on_time',
      ].join(',') + '\n',
    );
    readings.push({
      eventId: String(e['event_id']),
      deviceId: String(e['device_id']),
      siteId: String(e['site_id']),
      zoneId: String(e['zone_id']),
      sensorType: e['sensor_type'] as Reading['sensorType'],
      value: Number(e['value']),
      unit: typeof e['unit'] === 'string' ? e['unit'] : null,
      tsEventMs: ms,
      partition: m.partition,
      offset: m.offset,
      lateness: 'on_time',
    });
  }
  return { csv, binary: rawEvents.copyRows(readings), minMs, maxMs };
}

async function rawCopy({ csv, binary, minMs, maxMs }: CopyRows, format: 'csv' | 'binary'): Promise<Copy> {
  const db = await scratchDatabase();
  migrateDatabase(db.url);
  await createDayPartitions(db.url, minMs, maxMs);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const started = Date.now();
    const pgCpuBefore = postgresCpuSeconds();
    await client.query('BEGIN');
    const stream = client.query(
      copyFrom(`COPY raw_events (event_id, device_id, site_id, zone_id, sensor_type, value, unit, ts_event,
        kafka_partition, kafka_offset, lateness) FROM STDIN WITH (FORMAT ${format})`),
    );
    await pipeline(Readable.from(format === 'csv' ? csv : chunks(binary, 64 * 1024)), stream);
    await client.query('COMMIT');
    const elapsed = (Date.now() - started) / 1000;
    const pgCpu = postgresCpuSeconds() - pgCpuBefore;
    return { rate: csv.length / elapsed, elapsed, minMs, maxMs, pgCpu };
  } finally {
    await client.end();
    await db.drop();
  }
}

function* chunks(buf: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < buf.length; at += size) yield buf.subarray(at, at + size);
}

async function waitReady(port: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return Date.now();
    await sleep(100);
  }
  throw new Error('processor not ready within 60 s');
}

/** The soak: produce at `rate` for `ms`, sampling 1 in 20 events' produce time, then read their stored times. */
interface Soak {
  sent: number;
  actualRate: number;
  latencies: number[];
  missing: number;
  rss: { t: number; mib: number }[];
  target: number;
}

async function soak(
  topic: string,
  pool: pg.Pool,
  group: string,
  pid: number,
  rate: number,
  ms: number,
  alreadyApplied: number,
): Promise<Omit<Soak, 'target'>> {
  const producer = kafka().producer();
  await producer.connect();
  const sampled = new Map<string, number>();
  const rss: Soak['rss'] = [];
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const started = Date.now();
  let sent = 0;
  let nextRss = started;
  log(`soak: ${fmt(rate)} events/s for ${ms / 1000} s...`);
  for (let tick = 0; Date.now() - started < ms; tick += 1) {
    const due = started + tick * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const now = Date.now();
    const messages = [];
    for (let i = 0; i < perTick; i += 1) {
      const d = (sent + i) % 45;
      const id = randomUUID();
      if ((sent + i) % 20 === 0) sampled.set(id, now);
      messages.push({
        key: `dev-${d}`,
        value: JSON.stringify({
          event_id: id,
          device_id: `dev-${d}`,
          site_id: `site-${d % 3}`,
          zone_id: `zone-${d % 15}`,
          sensor_type: 'co2',
          value: 450 + (i % 300),
          ts_event: new Date(now).toISOString(),
        }),
      });
    }
    await producer.send({ topic, messages });
    sent += messages.length;
    if (now >= nextRss) {
      rss.push({ t: (now - started) / 1000, mib: rssMiB(pid) });
      nextRss += 5_000;
    }
  }
  await producer.disconnect();
  const deadline = Date.now() + 120_000;
  while ((await applied(pool, group, topic)) < alreadyApplied + sent && Date.now() < deadline)
    await sleep(200);
  const ids = [...sampled.keys()];
  const { rows } = await pool.query<{ event_id: string; at: number }>(
    `SELECT event_id, (extract(epoch FROM ingested_at) * 1000)::float8 AS at FROM raw_events WHERE event_id = ANY($1::uuid[])`,
    [ids],
  );
  const latencies = rows.map((r) => r.at - (sampled.get(r.event_id) ?? NaN)).sort((a, b) => a - b);
  return {
    sent,
    actualRate: sent / ((Date.now() - started) / 1000),
    latencies,
    missing: ids.length - rows.length,
    rss,
  };
}

/**
 * Another drain of the backlog by a fresh group into a fresh database, traced when `otlpUrl` is given. The
 * traced and untraced ones run this way, one after the other, so neither has the machine to itself while
 * the other does not (the first drain's database is still being analysed by autovacuum meanwhile).
 */
async function freshDrain(
  topic: string,
  total: number,
  otlpUrl: string | undefined,
  range: { minMs: number; maxMs: number },
): Promise<Drain> {
  const db = await scratchDatabase();
  migrateDatabase(db.url);
  await createDayPartitions(db.url, range.minMs, range.maxMs);
  const group = uid(otlpUrl === undefined ? 'bench-untraced' : 'bench-traced');
  const port = 19466;
  const child = spawnProcessor(
    db.url,
    topic,
    group,
    port,
    otlpUrl === undefined ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl },
  );
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const ready = await waitReady(port);
    const pgCpuBefore = postgresCpuSeconds();
    const procCpuBefore = cpuSeconds(child.pid ?? 0);
    let rssMax = 0;
    while ((await applied(pool, group, topic)) < total) {
      rssMax = Math.max(rssMax, rssMiB(child.pid ?? 0));
      if (Date.now() - ready > 600_000) throw new Error('fresh drain incomplete after 10 min');
      await sleep(250);
    }
    return {
      rate: total / ((Date.now() - ready) / 1000),
      cpu: {
        processor: cpuSeconds(child.pid ?? 0) - procCpuBefore,
        postgres: postgresCpuSeconds() - pgCpuBefore,
      },
      rssMax,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await pool.end();
    await db.drop();
  }
}

/** One drain of the backlog: its rate, the CPU seconds it cost the processor and PostgreSQL, its max RSS. */
interface Drain {
  rate: number;
  cpu: { processor: number; postgres: number };
  rssMax: number;
  exports?: number;
}

/** A round of the comparisons, each into a fresh database: COPYs, untraced, traced, untraced again. */
interface Round {
  copy: Copy;
  copyBinary: Copy;
  drain: Drain;
  traced: Drain;
  untracedAgain: Drain;
}

interface Results {
  total: number;
  /** Rounds after the first (--rounds), for the medians. */
  more: Round[];
  raw: { rate: number };
  copy: Copy;
  copyBinary: Copy;
  procRate: number;
  drainS: number;
  cpu: { processor: number; postgres: number };
  drainRssMax: number;
  traced: Drain;
  untracedAgain: Drain;
  soak?: Soak;
}

async function main(): Promise<void> {
  const topic = uid('bench.events');
  const sink = await startOtlpSink();
  const total = await preload(topic, sink.url);

  log('baseline 1: raw kafkajs eachBatch loop, counting only...');
  const raw = await consumeAll(topic, total, false);
  log(`raw consume: ${fmt(raw.rate)} events/s`);
  const { kept } = await consumeAll(topic, total, true);

  log('baseline 2: a bare COPY of the same rows into raw_events (same partitions, indexes, trigger)...');
  const rows = copyRows(kept);
  kept.length = 0;
  const copy = await rawCopy(rows, 'csv');
  log(`bare COPY, CSV: ${fmt(copy.rate)} rows/s`);
  const copyBinary = await rawCopy(rows, 'binary');
  log(`bare COPY, binary: ${fmt(copyBinary.rate)} rows/s`);

  const db = await scratchDatabase();
  migrateDatabase(db.url);
  await createDayPartitions(db.url, copy.minMs, copy.maxMs);

  log('the processor draining the backlog (its own process)...');
  const group = uid('bench-processor');
  const port = 19464;
  const child = spawnProcessor(db.url, topic, group, port);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  let results: Results | undefined;
  try {
    const ready = await waitReady(port);
    const pgCpuBefore = postgresCpuSeconds();
    const procCpuBefore = cpuSeconds(child.pid ?? 0);
    const drainRss: number[] = [];
    let done = 0;
    while ((done = await applied(pool, group, topic)) < total) {
      drainRss.push(rssMiB(child.pid ?? 0));
      if (Date.now() - ready > 600_000) throw new Error(`drain incomplete after 10 min: ${done}/${total}`);
      await sleep(250);
    }
    const drainS = (Date.now() - ready) / 1000;
    const procRate = total / drainS;
    const cpu = {
      processor: cpuSeconds(child.pid ?? 0) - procCpuBefore,
      postgres: postgresCpuSeconds() - pgCpuBefore,
    };
    log(`processor: ${fmt(procRate)} events/s`);
    const drainRssMax = Math.max(...drainRss);
    let soaked: Soak | undefined;
    if (soakMs > 0) {
      const rate = args['soak-rate'] ? Number(args['soak-rate']) : Math.round(procRate / 2);
      soaked = { ...(await soak(topic, pool, group, child.pid ?? 0, rate, soakMs, total)), target: rate };
    }
    // The first processor goes before the traced drains: after a drain it still rolls the windows up for a
    // while, and that work would be charged to whichever drain ran beside it.
    await stopProcessor(child);
    log('the processor draining the same backlog again, tracing exported to a local OTLP receiver...');
    const exportsBefore = sink.stats.requests;
    const traced = await freshDrain(topic, total, sink.url, copy);
    traced.exports = sink.stats.requests - exportsBefore;
    log(`processor with tracing: ${fmt(traced.rate)} events/s`);
    log('and once more without tracing, the same way, for the traced drain to be compared with...');
    const untracedAgain = await freshDrain(topic, total, undefined, copy);
    log(`processor without tracing, again: ${fmt(untracedAgain.rate)} events/s`);
    const more: Round[] = [];
    for (let r = 2; r <= rounds; r += 1) {
      log(
        `round ${r} of ${rounds}: two bare COPYs, an untraced drain, a traced one, an untraced one again...`,
      );
      more.push(await round(topic, total, sink, rows));
    }
    results = {
      total,
      more,
      raw,
      copy,
      copyBinary,
      procRate,
      drainS,
      cpu,
      drainRssMax,
      traced,
      untracedAgain,
      soak: soaked,
    };
  } finally {
    await stopProcessor(child);
    await pool.end();
    await db.drop();
    sink.close();
    await withAdmin((a) => a.deleteTopics({ topics: [topic, `${topic}.dlq`] })).catch(() => undefined);
  }
  if (results) report(results);
}

/** A round after the first: each of its four runs into a fresh database, one after the other. */
async function round(
  topic: string,
  total: number,
  sink: { url: string; stats: { requests: number } },
  rows: CopyRows,
): Promise<Round> {
  const copy = await rawCopy(rows, 'csv');
  const copyBinary = await rawCopy(rows, 'binary');
  const drain = await freshDrain(topic, total, undefined, copy);
  const exportsBefore = sink.stats.requests;
  const traced = await freshDrain(topic, total, sink.url, copy);
  traced.exports = sink.stats.requests - exportsBefore;
  const untracedAgain = await freshDrain(topic, total, undefined, copy);
  log(
    `COPY ${fmt(copy.rate)} rows/s CSV, ${fmt(copyBinary.rate)} binary; processor ${fmt(drain.rate)} events/s ` +
      `(${(drain.rate / copy.rate).toFixed(2)}x, ${(drain.rate / copyBinary.rate).toFixed(2)}x); ` +
      `traced ${fmt(traced.rate)}, untraced again ${fmt(untracedAgain.rate)} ` +
      `(${(traced.rate / untracedAgain.rate).toFixed(2)}x)`,
  );
  return { copy, copyBinary, drain, traced, untracedAgain };
}

/** The per-round table and the medians of the ratios taken within each round. */
function roundLines(all: Round[], total: number): string[] {
  const per100k = (seconds: number): string => ((seconds * 1e5) / total).toFixed(2);
  const copyRatios = all.map((r) => r.drain.rate / r.copy.rate);
  const binaryRatios = all.map((r) => r.drain.rate / r.copyBinary.rate);
  const traceRatios = all.map((r) => r.traced.rate / r.untracedAgain.rate);
  const traceCpu = all.map((r) => r.traced.cpu.processor / r.untracedAgain.cpu.processor);
  const rss = all.flatMap((r) => [r.drain.rssMax, r.untracedAgain.rssMax]);
  return [
    '',
    `${all.length} rounds, each run into a fresh database (CPU seconds per 100,000 events: processor / its PostgreSQL):`,
    '',
    '| round | bare COPY rows/s, CSV / binary | processor events/s | ratio CSV / binary | CPU | traced | untraced again | ratio | CPU traced / untraced | max RSS MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...all.map(
      (r, i) =>
        `| ${i + 1} | ${fmt(r.copy.rate)} / ${fmt(r.copyBinary.rate)} | ${fmt(r.drain.rate)} | ` +
        `${(r.drain.rate / r.copy.rate).toFixed(2)}x / ${(r.drain.rate / r.copyBinary.rate).toFixed(2)}x | ` +
        `${per100k(r.drain.cpu.processor)} / ${per100k(r.drain.cpu.postgres)} | ${fmt(r.traced.rate)} | ` +
        `${fmt(r.untracedAgain.rate)} | ${(r.traced.rate / r.untracedAgain.rate).toFixed(2)}x | ` +
        `${per100k(r.traced.cpu.processor)} / ${per100k(r.untracedAgain.cpu.processor)} | ` +
        `${r.drain.rssMax.toFixed(0)}, ${r.traced.rssMax.toFixed(0)}, ${r.untracedAgain.rssMax.toFixed(0)} |`,
    ),
    '',
    `medians over ${all.length} rounds: processor ${median(copyRatios).toFixed(2)}x the bare CSV COPY ` +
      `(${Math.min(...copyRatios).toFixed(2)}-${Math.max(...copyRatios).toFixed(2)}), ` +
      `${median(binaryRatios).toFixed(2)}x the bare binary COPY ` +
      `(${Math.min(...binaryRatios).toFixed(2)}-${Math.max(...binaryRatios).toFixed(2)}); traced ` +
      `${median(traceRatios).toFixed(2)}x untraced (${Math.min(...traceRatios).toFixed(2)}-` +
      `${Math.max(...traceRatios).toFixed(2)}), ${median(traceCpu).toFixed(2)}x its CPU; ` +
      `max RSS of the untraced drains ${Math.max(...rss).toFixed(0)} MiB`,
  ];
}

/** SIGTERM, then its exit (at once when it has already exited). */
async function stopProcessor(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function report(r: Results): void {
  const lines = [
    '',
    `Processor benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores, broker and database co-located`,
    `backlog: ${fmt(r.total)} events (simulator backfill ${args.backfill}, interval ${args.interval})`,
    '',
    '| measurement | events/s | processor ratio |',
    '| --- | ---: | ---: |',
    `| raw kafkajs eachBatch loop (count only) | ${fmt(r.raw.rate)} | ${(r.procRate / r.raw.rate).toFixed(2)}x |`,
    `| bare COPY into raw_events (same partitions and indexes), CSV | ${fmt(r.copy.rate)} | ${(r.procRate / r.copy.rate).toFixed(2)}x |`,
    `| the same, binary (the processor's format and encoder) | ${fmt(r.copyBinary.rate)} | ${(r.procRate / r.copyBinary.rate).toFixed(2)}x |`,
    `| processor draining the backlog | ${fmt(r.procRate)} | 1.00x |`,
    '',
    `processor drain: ${r.drainS.toFixed(1)} s, max RSS ${r.drainRssMax.toFixed(0)} MiB`,
    `CPU seconds per 100,000 events: processor ${((r.cpu.processor * 1e5) / r.total).toFixed(2)}, ` +
      `its PostgreSQL ${((r.cpu.postgres * 1e5) / r.total).toFixed(2)}; the bare COPYs' PostgreSQL ` +
      `${((r.copy.pgCpu * 1e5) / r.total).toFixed(2)} (CSV), ${((r.copyBinary.pgCpu * 1e5) / r.total).toFixed(2)} (binary)`,
    `processor drain with tracing exported to a local OTLP receiver: ${fmt(r.traced.rate)} events/s, ` +
      `${(r.traced.rate / r.untracedAgain.rate).toFixed(2)}x the untraced drain run the same way just after it ` +
      `(${fmt(r.untracedAgain.rate)} events/s; ${r.traced.exports} exports received)`,
  ];
  if (r.more.length > 0) {
    const first: Round = {
      copy: r.copy,
      copyBinary: r.copyBinary,
      drain: { rate: r.procRate, cpu: r.cpu, rssMax: r.drainRssMax },
      traced: r.traced,
      untracedAgain: r.untracedAgain,
    };
    lines.push(...roundLines([first, ...r.more], r.total));
  }
  if (r.soak) {
    const l = r.soak.latencies;
    const rss = r.soak.rss;
    const firstMin = rss.filter((s) => s.t < 60).map((s) => s.mib);
    const lastMin = rss.filter((s) => s.t >= (rss[rss.length - 1]?.t ?? 0) - 60).map((s) => s.mib);
    const avg = (a: number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
    lines.push(
      `soak: target ${fmt(r.soak.target)} events/s, achieved ${fmt(r.soak.actualRate)} events/s, ${fmt(r.soak.sent)} events, ${soakMs / 1000} s`,
      `latency produce -> stored raw row (${fmt(l.length)} sampled, ${r.soak.missing} missing): ` +
        `p50 ${percentile(l, 50).toFixed(0)} ms, p95 ${percentile(l, 95).toFixed(0)} ms, p99 ${percentile(l, 99).toFixed(0)} ms, max ${l[l.length - 1]?.toFixed(0)} ms`,
      `RSS during soak: first minute avg ${avg(firstMin).toFixed(0)} MiB, last minute avg ${avg(lastMin).toFixed(0)} MiB, max ${Math.max(...rss.map((s) => s.mib)).toFixed(0)} MiB`,
    );
  }
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

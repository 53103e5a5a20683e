/**
 * npm run bench:api: the API's dashboard reads (latest readings per zone and per device, 24-hour trend,
 * open alerts) under a fixed request rate, on a database of --rows-small raw readings and then
 * --rows-large, while the real processor ingests live readings at --ingest-rate. Each route is measured on
 * koa (the API process) and on a bare node:http server running the same SQL through the same postgres
 * adapters, so the ratio shows what koa, validation and middleware cost.
 *
 * Processes: this one runs the load (evenly paced by default, or autocannon; see load.ts) and nothing else
 * while measuring; the API, the bare server, the processor and the Kafka producer each run in their own
 * process. The parts, by role: api/dataset.ts (history generated in SQL), api/servers.ts (the processes),
 * api/routes.ts (what is measured), api/measure.ts (the rounds), api/report.ts (the Markdown);
 * api-cpu.ts reuses them to compare the API's CPU per request with the bare server's.
 */
import os from 'node:os';
import pg from 'pg';
import {
  type ScratchDatabase,
  fmt,
  messageOf,
  migrateDatabase,
  scratchDatabase,
  stopChild,
  uid,
  withAdmin,
} from './common.ts';
import { SERIES, addOlderHistory, log, seedFirstDataset } from './api/dataset.ts';
import { measure, type MeasureContext, type RunOptions } from './api/measure.ts';
import { parseApiOptions, type ApiOptions } from './api/options.ts';
import { formatApiReport, type ApiReport } from './api/report.ts';
import { children, startApi, startBare, startProcessor } from './api/servers.ts';

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

/** The signal that interrupted the run, if one did: the run's own errors after it are expected. */
let interrupted: string | undefined;

async function run(o: ApiOptions): Promise<void> {
  const { args, stepS, rowsSmall, rowsLarge } = o;
  const stepsPerWindow = 900 / stepS;
  const runOptions: RunOptions = {
    pacing: args.pacing,
    rate: Number(args.rate),
    connections: Number(args.connections),
    rounds: o.rounds,
    warmupS: o.warmupS,
    seconds: o.seconds,
  };
  const benchStarted = Date.now();

  const db: ScratchDatabase = await scratchDatabase();
  const topic = uid('bench.api-events');
  const group = uid('bench-api-processor');
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // A server restart surfaces as a failed query (and the cleanup below), not as a crash from an idle client.
  pool.on('error', (err) => log(`database connection lost: ${err.message}`));
  // One loading session per core; dropping the database at the end terminates them.
  const loaders = os.cpus().map(() => new pg.Client({ connectionString: db.url }));
  loaders.forEach((l) => l.on('error', () => undefined));
  const report: ApiReport = { postgres: '', runs: [], loads: [], totalS: 0 };
  // Once, whether the run ends, fails or is interrupted (Ctrl-C): nothing stays behind on the shared
  // servers, and no processor keeps running.
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      for (const child of [...children].reverse()) await stopChild(child);
      for (const l of loaders) await l.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await db.drop().catch((err: unknown) => log(`could not drop the scratch database: ${messageOf(err)}`));
      await withAdmin((a) => a.deleteTopics({ topics: [topic, `${topic}.dlq`] })).catch(() => undefined);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      interrupted = signal;
      log(`${signal}: stopping; removing the processes, the scratch database and the topics...`);
      void cleanup().finally(() => process.exit(130));
    });
  try {
    const { rows: settings } = await pool.query<{ s: string }>(
      `SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name) AS s FROM pg_settings
        WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'server_version')`,
    );
    report.postgres = settings[0]?.s ?? '';
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

    const { small, kSplit, nowS } = await seedFirstDataset(loaders, { rows: rowsSmall, stepS });
    report.loads.push(small);

    // The processor, the API and the bare server, each in its own process.
    const processor = await startProcessor(db.url, { topic, group, nice: o.nice });
    const ctx: MeasureContext = {
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

    report.runs.push(await measure(ctx, `${fmt(small.raw)} rows`, runOptions, args['ingest-rate']));

    if (rowsLarge > small.raw) {
      const kFrom =
        Math.floor((kSplit - Math.ceil((rowsLarge - small.raw) / SERIES)) / stepsPerWindow) * stepsPerWindow;
      log(`adding older history up to ${fmt(rowsLarge)} rows (budget ${args['load-budget']})...`);
      const large = await addOlderHistory(loaders, { kFrom, kTo: kSplit, stepS, nowS, budgetMs: o.budgetMs });
      report.loads.push(large);
      report.runs.push(
        await measure(ctx, `${fmt(small.raw + large.raw)} rows`, runOptions, args['ingest-rate']),
      );
    }
  } finally {
    await cleanup();
  }
  report.totalS = (Date.now() - benchStarted) / 1000;
  console.log(formatApiReport(report, { ...args, stepS }));
}

async function main(): Promise<void> {
  const options = parseApiOptions(process.argv.slice(2));
  if (options.help) {
    console.log(HELP);
    return;
  }
  await run(options);
}

main().catch((err: unknown) => {
  if (interrupted) return;
  console.error(err);
  process.exit(1);
});

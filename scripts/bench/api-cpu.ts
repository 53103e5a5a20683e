/**
 * The API's CPU per request, beside the bare node:http server running the same SQL (see api.ts), and
 * optionally beside another build of the API, in one run: the difference is what koa, validation and the
 * middleware cost. No live ingestion and no processor, so the figures are about the request path alone;
 * the servers take turns, route by route, for --rounds rounds (api/measure.ts, as api.ts measures), and
 * the report gives each one's median.
 *
 *   bash scripts/with-infra.sh node scripts/bench/api-cpu.ts
 *   cp -r services/api/dist /tmp/api-before   # before a change; then, after it:
 *   bash scripts/with-infra.sh node scripts/bench/api-cpu.ts --baseline /tmp/api-before
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT, messageOf, migrateDatabase, scratchDatabase, stopChild, uid } from './common.ts';
import { durationMs } from './figures.ts';
import { PACINGS, isPacing } from './load.ts';
import { log, seedFirstDataset } from './api/dataset.ts';
import { measureRounds } from './api/measure.ts';
import { formatCpuReport, type CpuSamples } from './api/report.ts';
import { routes } from './api/routes.ts';
import { children, startApi, startBare, type Server } from './api/servers.ts';

const HELP = `Usage: bash scripts/with-infra.sh node scripts/bench/api-cpu.ts [options]

  --rows N          raw readings in the scratch database (default 600000, 1.4 days: the 24 h trend
                    is full; the reads cost the same at any size, see docs/benchmarks.md)
  --baseline DIR    another build of services/api/dist (e.g. copied before a change) measured as well;
                    it loads its packages from this repository's node_modules
  --in-memory       every server answers each read from memory after sending it to PostgreSQL once
                    (in-memory-reads.ts): the figures are then the HTTP path alone (routing,
                    validation, row mapping, serialisation), without the database's noise
  --cpu-prof DIR    run the current API and the bare server under node --cpu-prof, writing their
                    profiles into DIR/koa and DIR/bare (both get the same requests, so their samples
                    compare one to one)
  --rate N          requests/s per route (default 200)
  --pacing P        ${PACINGS.join(' or ')} (default even; see load.ts)
  --connections N   connections (default 10)
  --duration D      measured run per route, server and round (default 10s)
  --warmup D        unmeasured run before each (default 2s)
  --rounds N        rounds; the servers take turns within each (default 3)`;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      rows: { type: 'string', default: '600000' },
      baseline: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      rate: { type: 'string', default: '200' },
      pacing: { type: 'string', default: 'even' },
      connections: { type: 'string', default: '10' },
      duration: { type: 'string', default: '10s' },
      warmup: { type: 'string', default: '2s' },
      rounds: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (args.help) {
    console.log(HELP);
    return;
  }
  if (!isPacing(args.pacing)) throw new Error(`--pacing must be one of ${PACINGS.join(', ')}`);
  const run = {
    pacing: args.pacing,
    rate: Number(args.rate),
    connections: Number(args.connections),
    seconds: durationMs(args.duration) / 1000,
    warmupS: durationMs(args.warmup) / 1000,
    rounds: Math.max(1, Math.min(20, Number(args.rounds))),
  };
  const started = Date.now();

  const db = await scratchDatabase();
  const loaders = os.cpus().map(() => new pg.Client({ connectionString: db.url }));
  loaders.forEach((l) => l.on('error', () => undefined));
  const kafkaNames = { topic: uid('bench.api-cpu'), group: uid('bench-api-cpu') }; // never created
  const samples: CpuSamples = {};
  const load1: number[] = [];
  const servers: Record<string, Server> = {};
  try {
    migrateDatabase(db.url);
    for (const l of loaders) {
      await l.connect();
      await l.query('SET synchronous_commit = off');
    }
    await seedFirstDataset(loaders, { rows: Number(args.rows), stepS: 30 });
    for (const l of loaders) await l.end();

    const memo = args['in-memory'] ? ['--import', path.join(ROOT, 'scripts/bench/in-memory-reads.ts')] : [];
    const cpuProf = args['cpu-prof'];
    const profile = (name: string): string[] =>
      cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProf, name)}`] : [];
    servers['bare'] = await startBare(db.url, { execArgv: [...memo, ...profile('bare')] });
    servers['koa'] = await startApi(db.url, { ...kafkaNames, execArgv: [...memo, ...profile('koa')] });
    if (args.baseline) {
      servers['baseline'] = await startApi(db.url, {
        ...kafkaNames,
        dist: path.resolve(args.baseline),
        execArgv: memo,
        env: { NODE_PATH: path.join(ROOT, 'node_modules') },
      });
    }
    const verified: Record<string, Server> = {};
    for (const name of ['koa', 'bare']) if (servers[name]) verified[name] = servers[name];
    const { loads } = await measureRounds(
      routes(Date.now()),
      servers,
      verified,
      run,
      (round, route, name, r) => {
        ((samples[route.name] ??= {})[name] ??= []).push({ cpu: r.cpuMsPerRequest, p50: r.p50, p99: r.p99 });
        log(
          `round ${round}, ${route.name}, ${name}: ${r.cpuMsPerRequest.toFixed(3)} ms CPU/request, ` +
            `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.failed} failed`,
        );
      },
    );
    // The load average after each round: after its last route.
    for (let round = 0; round < run.rounds; round++) load1.push(loads.at(-1)?.[round] ?? NaN);
  } finally {
    for (const child of [...children].reverse()) await stopChild(child);
    for (const l of loaders) await l.end().catch(() => undefined);
    await db.drop().catch((err: unknown) => log(`could not drop the scratch database: ${messageOf(err)}`));
  }

  console.log(
    formatCpuReport(samples, {
      servers: Object.keys(servers),
      rows: args.rows,
      inMemory: args['in-memory'],
      cpuProf: args['cpu-prof'],
      baseline: args.baseline,
      rate: args.rate,
      duration: args.duration,
      warmup: args.warmup,
      rounds: run.rounds,
      pacing: args.pacing,
      connections: run.connections,
      load1,
      totalS: (Date.now() - started) / 1000,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

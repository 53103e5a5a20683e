#!/usr/bin/env node
'use strict';
// The API's CPU per request, beside the bare node:http server running the same SQL (see api.js), and
// optionally beside another build of the API, in one run: the difference is what koa, validation and the
// middleware cost. No live ingestion and no processor, so the figures are about the request path alone;
// the servers take turns, route by route, for --rounds rounds, and the report gives each one's median.
//
//   bash scripts/with-infra.sh node scripts/bench/api-cpu.js
//   cp -r services/api/dist /tmp/api-before   # before a change; then, after it:
//   bash scripts/with-infra.sh node scripts/bench/api-cpu.js --baseline /tmp/api-before
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const pg = require('pg');
const { ROOT, uid, fmt, scratchDatabase, durationMs, migrateDatabase, stopChild } = require('./common');
const { PACINGS, loadAt, describePacing } = require('./load');
const { routes, log, verify, seedFirstDataset, startApi, startBare, children } = require('./api');

const HELP = `Usage: bash scripts/with-infra.sh node scripts/bench/api-cpu.js [options]

  --rows N          raw readings in the scratch database (default 600000, 1.4 days: the 24 h trend
                    is full; the reads cost the same at any size, see docs/benchmarks.md)
  --baseline DIR    another build of services/api/dist (e.g. copied before a change) measured as well;
                    it loads its packages from this repository's node_modules
  --in-memory       every server answers each read from memory after sending it to PostgreSQL once
                    (in-memory-reads.js): the figures are then the HTTP path alone (routing,
                    validation, row mapping, serialisation), without the database's noise
  --cpu-prof DIR    run the current API and the bare server under node --cpu-prof, writing their
                    profiles into DIR/koa and DIR/bare (both get the same requests, so their samples
                    compare one to one)
  --rate N          requests/s per route (default 200)
  --pacing P        ${PACINGS.join(' or ')} (default even; see load.js)
  --connections N   connections (default 10)
  --duration D      measured run per route, server and round (default 10s)
  --warmup D        unmeasured run before each (default 2s)
  --rounds N        rounds; the servers take turns within each (default 3)`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
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
  if (!PACINGS.includes(args.pacing)) throw new Error(`--pacing must be one of ${PACINGS.join(', ')}`);
  const opts = { rate: Number(args.rate), connections: Number(args.connections) };
  const seconds = durationMs(args.duration) / 1000;
  const warmupS = durationMs(args.warmup) / 1000;
  const rounds = Math.max(1, Math.min(20, Number(args.rounds)));
  const started = Date.now();

  const db = await scratchDatabase();
  const loaders = os.cpus().map(() => new pg.Client({ connectionString: db.url }));
  loaders.forEach((l) => l.on('error', () => undefined));
  const kafkaNames = { topic: uid('bench.api-cpu'), group: uid('bench-api-cpu') }; // never created
  const samples = {}; // route -> server -> [{ cpu, p50, p99 }]
  const load1 = [];
  let servers;
  try {
    migrateDatabase(db.url);
    for (const l of loaders) {
      await l.connect();
      await l.query('SET synchronous_commit = off');
    }
    await seedFirstDataset(loaders, { rows: Number(args.rows), stepS: 30 });
    for (const l of loaders) await l.end();

    const memo = args['in-memory'] ? ['--require', path.join(__dirname, 'in-memory-reads.js')] : [];
    const profile = (name) =>
      args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'], name)}`] : [];
    servers = { bare: await startBare(db.url, { execArgv: [...memo, ...profile('bare')] }) };
    servers.koa = await startApi(db.url, { ...kafkaNames, execArgv: [...memo, ...profile('koa')] });
    if (args.baseline) {
      const dist = path.resolve(args.baseline);
      servers.baseline = await startApi(db.url, {
        ...kafkaNames,
        dist,
        execArgv: memo,
        env: { NODE_PATH: path.join(ROOT, 'node_modules') },
      });
    }
    const names = Object.keys(servers);
    const routeList = routes(Date.now());
    for (let round = 0; round < rounds; round++) {
      for (const route of routeList) {
        if (round === 0) await verify(route, { koa: servers.koa, bare: servers.bare });
        // Rotate who goes first, so a drift in the machine's load does not favour one server.
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const name of order) {
          const server = servers[name];
          if (warmupS > 0) await loadAt(args.pacing, server, route.paths, warmupS, opts);
          const r = await loadAt(args.pacing, server, route.paths, seconds, opts);
          ((samples[route.name] ??= {})[name] ??= []).push({
            cpu: r.cpuMsPerRequest,
            p50: r.p50,
            p99: r.p99,
          });
          log(
            `round ${round + 1}, ${route.name}, ${name}: ${r.cpuMsPerRequest.toFixed(3)} ms CPU/request, ` +
              `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.failed} failed`,
          );
        }
      }
      load1.push(os.loadavg()[0]);
    }
  } finally {
    for (const child of [...children].reverse()) await stopChild(child);
    for (const l of loaders) await l.end().catch(() => undefined);
    await db.drop().catch((err) => log(`could not drop the scratch database: ${err.message}`));
  }

  const names = Object.keys(servers).filter((n) => n !== 'bare');
  const lines = [
    '',
    `API CPU per request, ${new Date().toISOString()}, ${os.cpus().length} cores, Node ${process.version}, ` +
      `${fmt(Number(args.rows))} raw rows, no ingestion` +
      (args['in-memory'] ? ', reads answered from memory (in-memory-reads.js)' : ''),
    `load: ${args.rate} requests/s per route, ${args.duration} after ${args.warmup} warm-up, ${rounds} rounds; ` +
      describePacing(args.pacing, opts),
    `1-min load average after each round: ${load1.map((l) => l.toFixed(1)).join(', ')}`,
    `servers: koa = services/api/dist${args['cpu-prof'] ? ' (koa and node:http under --cpu-prof)' : ''}` +
      (args.baseline ? `, baseline = ${args.baseline}` : '') +
      ', node:http = the bare server; figures are medians over the rounds',
    '',
    `| route | ${names.map((n) => `${n} CPU ms/req`).join(' | ')} | node:http CPU ms/req | ` +
      `${names.map((n) => `${n} - node:http`).join(' | ')} | ${names.map((n) => `${n} p50 / p99 ms`).join(' | ')} |`,
    `| --- |${' ---: |'.repeat(names.length * 3 + 1)}`,
  ];
  for (const [route, by] of Object.entries(samples)) {
    const cpu = (n) => median(by[n].map((s) => s.cpu));
    const lat = (n) =>
      `${median(by[n].map((s) => s.p50)).toFixed(1)} / ${median(by[n].map((s) => s.p99)).toFixed(1)}`;
    lines.push(
      `| ${route} | ${names.map((n) => cpu(n).toFixed(3)).join(' | ')} | ${cpu('bare').toFixed(3)} ` +
        `| ${names.map((n) => (cpu(n) - cpu('bare')).toFixed(3)).join(' | ')} | ${names.map(lat).join(' | ')} |`,
    );
  }
  lines.push('', `whole run: ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

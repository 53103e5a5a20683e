'use strict';
// Helpers shared by the benchmark scripts (plain JS over the compiled services; run through
// scripts/with-infra.sh so Kafka, PostgreSQL and dist/ exist).
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { Kafka, logLevel } = require('kafkajs');
const pg = require('pg');

const ROOT = path.join(__dirname, '..', '..');
const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://telemetry:telemetry@127.0.0.1:5432/telemetry';

const uid = (prefix) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const kafka = () => new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** A scratch database on the real server, dropped by `drop()`. */
async function scratchDatabase() {
  const name = uid('tp_bench').replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        // FORCE cannot end an autovacuum worker for a non-superuser (42501): wait for it to finish.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            return;
          } catch (err) {
            if (err.code !== '42501' || attempt >= 30) throw err;
            await sleep(2_000);
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

async function withAdmin(fn) {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Resident set size of a process in MiB, from /proc. */
function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** `250ms`, `30s`, `5m`, `1h` in milliseconds. */
function durationMs(s) {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 36e5 }[m[2]];
}

/** Applies the schema migrations to `dbUrl` with the compiled migration CLI. */
function migrateDatabase(dbUrl) {
  execFileSync(process.execPath, [path.join(ROOT, 'services/shared/dist/migrate-cli.js')], {
    env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Resolves when `url` answers 2xx; throws after `timeoutMs`. */
async function waitOk(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** Sends SIGTERM to a child process and waits for it to exit (SIGKILL after `graceMs`). */
async function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A process's name and CPU time (user + system) so far in clock ticks (USER_HZ = 100), from /proc. */
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc. */
function cpuSeconds(pid) {
  return procStat(pid).ticks / 100;
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The compiled shared and simulator packages; without them, one line saying how to build them and exit 2. */
function loadCompiledServices() {
  try {
    return {
      shared: require(path.join(ROOT, 'services/shared/dist/index.js')),
      simulator: require(path.join(ROOT, 'services/simulator/dist/index.js')),
    };
  } catch (err) {
    console.error(`cannot load the compiled services (${err.message}); run \`npx tsc --build\` first`);
    process.exit(2);
  }
}

/**
 * The exact messages the simulator would send with `settings` (its parsed config), generated before the
 * clock starts; `toMessage` shapes each `{ key, value }` for the client that sends it.
 */
function pregenerateMessages(simulator, settings, n, toMessage = (m) => m) {
  const stream = simulator.createMessageStream({
    seed: 1,
    fleet: settings.fleet,
    faults: settings.faults,
    timeline: { mode: 'live', now: () => Date.now() },
  });
  const messages = new Array(n);
  for (let i = 0; i < n; i++) messages[i] = toMessage(stream.next());
  return messages;
}

/** Records the processors of `group` applied from `topic`: the sum of their next offsets in PostgreSQL. */
async function applied(pool, group, topic) {
  const { rows } = await pool.query(
    'SELECT coalesce(sum(greatest(next_offset, 0)), 0)::bigint AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return Number(rows[0].n);
}

/** The compiled processor CLI in its own process, consuming `topic` as `group` into `dbUrl`. */
function spawnProcessor(dbUrl, topic, group, port, extraEnv = {}) {
  const env = {
    DATABASE_URL: dbUrl,
    KAFKA_BROKERS: BROKERS.join(','),
    PROCESSOR_TOPIC: topic,
    PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
    PROCESSOR_GROUP_ID: group,
    PROCESSOR_PORT: String(port),
    PROCESSOR_HOST: '127.0.0.1',
    ...extraEnv,
  };
  // BENCH_NODE_ARGS: extra node flags for the processor, e.g. --cpu-prof to see where its time goes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'services/processor/dist/main.js')], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

module.exports = {
  applied,
  spawnProcessor,
  loadCompiledServices,
  pregenerateMessages,
  ROOT,
  BROKERS,
  ADMIN_URL,
  uid,
  kafka,
  sleep,
  fmt,
  scratchDatabase,
  withAdmin,
  rssMiB,
  cpuSeconds,
  procStat,
  freePort,
  durationMs,
  migrateDatabase,
  waitOk,
  stopChild,
  percentile,
};

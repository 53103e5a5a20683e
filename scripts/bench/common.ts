/**
 * Helpers shared by the benchmark scripts: TypeScript over the compiled services, run by Node as it is
 * (types stripped) through scripts/with-infra.sh, so Kafka, PostgreSQL and dist/ exist. The pure figures
 * (durations, percentiles, medians) are in ./figures.ts, re-exported here.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin, type CompressionTypes, type Message } from 'kafkajs';
import pg from 'pg';
import type * as Shared from '../../services/shared/dist/index.js';
import type * as Simulator from '../../services/simulator/dist/index.js';

export { durationMs, percentile, median, fmt } from './figures.ts';

/** The repository: the first directory above the running script that holds this file. */
function repoRoot(): string {
  let dir = path.resolve(process.argv[1] ?? '.');
  for (;;) {
    if (existsSync(path.join(dir, 'scripts', 'bench', 'common.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export const ROOT = repoRoot();
export const BROKERS = (process.env['KAFKA_BROKERS'] || '127.0.0.1:9092').split(',');
export const ADMIN_URL =
  process.env['DATABASE_URL'] || 'postgres://telemetry:telemetry@127.0.0.1:5432/telemetry';
/** CommonJS require from the repository root, for the compiled services under services/STAR/dist. */
export const load = createRequire(path.join(ROOT, 'package.json'));

export const uid = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
/**
 * A bench's own Kafka client. It is made here, not by the services' shared client, so it installs the same
 * filter for the one warning kafkajs makes Node 24 print (docs/dependencies.md) that the services install.
 */
export const kafka = (clientId = 'bench'): Kafka => {
  const warnings = load(path.join(ROOT, 'services/shared/dist/kafka/negative-timeout-warning.js')) as {
    filterKafkajsNegativeTimeoutWarning(): void;
  };
  warnings.filterKafkajsNegativeTimeoutWarning();
  return new Kafka({ clientId, brokers: BROKERS, logLevel: logLevel.NOTHING });
};
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The message of anything thrown. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A scratch database on the real server, dropped by `drop()`. */
export async function scratchDatabase(): Promise<ScratchDatabase> {
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
            if ((err as { code?: unknown }).code !== '42501' || attempt >= 30) throw err;
            await sleep(2_000);
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Applies the schema migrations to `dbUrl` with the compiled migration CLI. */
export function migrateDatabase(dbUrl: string): void {
  execFileSync(process.execPath, [path.join(ROOT, 'services/shared/dist/migrate-cli.js')], {
    env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Resolves when `url` answers 2xx; throws after `timeoutMs`. */
export async function waitOk(url: string, timeoutMs = 60_000): Promise<void> {
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
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A process's name and CPU time (user + system) so far in clock ticks (USER_HZ = 100), from /proc. */
export function procStat(pid: number | string): { comm: string; ticks: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc. */
export function cpuSeconds(pid: number): number {
  return procStat(pid).ticks / 100;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The compiled packages' types (their dist/ declarations; `npx tsc --build` writes them first). */
export type SharedPackage = typeof Shared;
export type SimulatorPackage = typeof Simulator;
export type SimulatorConfig = Simulator.SimulatorConfig;
/** One message of the simulator's stream: its key and the bytes it sends. */
export type KeyedMessage = Simulator.SimMessage;

/**
 * For the benchmarks set by environment variables alone: prints `help` and exits 0 on --help or -h, and
 * refuses any argument (exit 2) saying so.
 */
export function environmentOnly(name: string, help: string): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help);
    process.exit(0);
  }
  if (argv.length > 0) {
    console.error(
      `${name} takes no arguments (got ${argv.join(' ')}); settings are environment variables\n\n${help}`,
    );
    process.exit(2);
  }
}

/**
 * The project's kafkajs client (shared's createKafkaClient) for a benchmark: a failure no retry cures
 * (credentials, certificates) prints itself and ends the run. (The JavaScript benches passed no onFatal,
 * and would have crashed on calling it.)
 */
export function benchKafkaClient(
  shared: SharedPackage,
  conn: Parameters<SharedPackage['createKafkaClient']>[0],
  logger: Parameters<SharedPackage['createKafkaClient']>[1],
): ReturnType<SharedPackage['createKafkaClient']> {
  return shared.createKafkaClient(conn, logger, {
    onFatal: (err) => {
      console.error(err);
      process.exit(1);
    },
  });
}

/**
 * The raw kafkajs baseline: `messages` in batches of `batchSize`, each sent once the previous is
 * acknowledged, with the shared producer adapter's settings (idempotent, acks=all, one request in flight).
 * Returns the milliseconds the sends took.
 */
export async function produceInBatches(
  client: Kafka,
  topic: string,
  messages: readonly Message[],
  batchSize: number,
  compression: CompressionTypes | undefined, // the codecs are registered by createKafkaClient
): Promise<number> {
  const producer = client.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const startedMs = performance.now();
  for (let i = 0; i < messages.length; i += batchSize) {
    await producer.send({ topic, acks: -1, compression, messages: messages.slice(i, i + batchSize) });
  }
  const elapsedMs = performance.now() - startedMs;
  await producer.disconnect();
  return elapsedMs;
}

/** The compiled shared and simulator packages; without them, one line saying how to build them and exit 2. */
export function loadCompiledServices(): { shared: SharedPackage; simulator: SimulatorPackage } {
  try {
    return {
      shared: load(path.join(ROOT, 'services/shared/dist/index.js')) as SharedPackage,
      simulator: load(path.join(ROOT, 'services/simulator/dist/index.js')) as SimulatorPackage,
    };
  } catch (err) {
    console.error(`cannot load the compiled services (${messageOf(err)}); run \`npx tsc --build\` first`);
    process.exit(2);
  }
}

/**
 * The exact messages the simulator would send with `settings` (its parsed config), generated before the
 * clock starts; `toMessage` shapes each `{ key, value }` for the client that sends it.
 */
export function pregenerateMessages<T = KeyedMessage>(
  simulator: SimulatorPackage,
  settings: Pick<SimulatorConfig, 'fleet' | 'faults'>,
  n: number,
  toMessage: (m: KeyedMessage) => T = (m) => m as T,
): T[] {
  const stream = simulator.createMessageStream({
    seed: 1,
    fleet: settings.fleet,
    faults: settings.faults,
    timeline: { mode: 'live', now: () => Date.now() },
  });
  const messages = new Array<T>(n);
  for (let i = 0; i < n; i++) {
    const m = stream.next();
    if (!m) throw new Error(`the simulator's stream ended after ${i} messages`);
    messages[i] = toMessage(m);
  }
  return messages;
}

/** Records the processors of `group` applied from `topic`: the sum of their next offsets in PostgreSQL. */
export async function applied(pool: pg.Pool | pg.Client, group: string, topic: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT coalesce(sum(greatest(next_offset, 0)), 0)::bigint AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return Number(rows[0]?.n);
}

/** The compiled processor CLI in its own process, consuming `topic` as `group` into `dbUrl`. */
export function spawnProcessor(
  dbUrl: string,
  topic: string,
  group: string,
  port: number,
  extraEnv: Record<string, string> = {},
): ChildProcess {
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
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  // The processor's V8 flags as the image and npm start give them (see the Dockerfile); BENCH_NODE_ARGS come after, so they win.
  return spawn(
    process.execPath,
    [
      '--max-semi-space-size=16',
      '--max-old-space-size=128',
      ...nodeArgs,
      path.join(ROOT, 'services/processor/dist/main.js'),
    ],
    {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

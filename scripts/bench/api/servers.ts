/**
 * The API benchmark's processes: the API (koa, compiled), the bare node:http server running the same SQL
 * (./bare-server.ts, forked), the processor and the live producer (./producer.ts, forked). Each is tracked
 * from its start, so that the run, however it ends, stops every one of them.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BROKERS, ROOT, freePort, waitOk } from '../common.ts';
import type { LoadTarget } from '../load.ts';

export const API_DIST = path.join(ROOT, 'services/api/dist');
const HERE = path.join(ROOT, 'scripts/bench/api');

/** A server under load, with its process. */
export interface Server extends LoadTarget {
  readonly pid: number | undefined;
  readonly child: ChildProcess;
}

/** Every child still running; stopped in reverse order at the end. */
export const children = new Set<ChildProcess>();
// A crash of this process must not leave the API, processor or producer running (and the ports taken).
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));

/** Starts a child and tracks it; `ready` resolves when it answers, and rejects if it exits first. */
export function start(
  child: ChildProcess,
  ready: (child: ChildProcess) => Promise<unknown>,
): Promise<ChildProcess> {
  children.add(child);
  const exited = new Promise<never>((_, reject) =>
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
function spawnNode(
  script: string,
  env: Record<string, string>,
  execArgv: readonly string[] = [],
  nice = 0,
): ChildProcess {
  const argv = [process.execPath, ...execArgv, script];
  const [cmd = process.execPath, ...rest] = nice > 0 ? ['nice', '-n', String(nice), ...argv] : argv;
  return spawn(cmd, rest, {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** One of this folder's forked entries (bare-server.ts, producer.ts), with an IPC channel. */
export function forkEntry(
  file: string,
  env: Record<string, string>,
  execArgv: readonly string[] = [],
): ChildProcess {
  return fork(path.join(HERE, file), [], {
    env: { ...process.env, ...env },
    // Node runs the .ts entry as it is; without a package type, it says so on every start.
    execArgv: ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', ...execArgv],
    stdio: 'inherit',
  });
}

/** Resolves with the first IPC message of `child` that has `key`. */
export const message = <T extends object>(child: ChildProcess, key: string): Promise<T> =>
  new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && key in m) {
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
  });

/**
 * The API process (`dist`, default the compiled services/api; another build can be compared with it),
 * ready; `execArgv` is passed to node (e.g. `--cpu-prof`). The rate limiter runs, as in production,
 * but never refuses the load.
 */
export async function startApi(
  dbUrl: string,
  {
    topic,
    group,
    dist = API_DIST,
    execArgv = [],
    env = {},
  }: {
    topic: string;
    group: string;
    dist?: string;
    execArgv?: readonly string[];
    env?: Record<string, string>;
  },
): Promise<Server> {
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

/** The bare node:http server (./bare-server.ts, forked), ready; `execArgv` is passed to node. */
export async function startBare(
  dbUrl: string,
  { execArgv = [] }: { execArgv?: readonly string[] } = {},
): Promise<Server> {
  let port = 0;
  const child = await start(forkEntry('bare-server.ts', { DATABASE_URL: dbUrl }, execArgv), (c) =>
    message<{ port: number }>(c, 'port').then((m) => (port = m.port)),
  );
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid, child };
}

/** The compiled processor consuming `topic` as `group`, ready, at niceness `nice`. */
export async function startProcessor(
  dbUrl: string,
  { topic, group, nice }: { topic: string; group: string; nice: number },
): Promise<ChildProcess> {
  const processorPort = await freePort();
  return start(
    spawnNode(
      path.join(ROOT, 'services/processor/dist/main.js'),
      {
        DATABASE_URL: dbUrl,
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
}

/** The live producer (./producer.ts, forked) at `rate` readings/s into `topic`, ready. */
export function startProducer(topic: string, rate: string): Promise<ChildProcess> {
  return start(forkEntry('producer.ts', { BENCH_TOPIC: topic, BENCH_RATE: rate }), (c) =>
    message(c, 'ready'),
  );
}

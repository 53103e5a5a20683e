import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BROKERS, uniqueName, waitFor } from './infra';

const DIST = path.join(__dirname, '..', '..', 'services');
export const SIMULATOR = path.join(DIST, 'simulator', 'dist', 'main.js');
export const PROCESSOR = path.join(DIST, 'processor', 'dist', 'main.js');
export const API = path.join(DIST, 'api', 'dist', 'main.js');

/** Fails with the command to run when a compiled service is missing. */
export function requireCompiledServices(): void {
  for (const main of [SIMULATOR, PROCESSOR, API])
    if (!existsSync(main)) throw new Error(`${main} is missing; run \`npx tsc --build\` first`);
}

/**
 * The environment a compiled service needs to export its spans to `endpoint`, as in production: tracing is
 * configured only by OTEL_* variables (exported every 100 ms here rather than every 5 s).
 */
export const otelEnv = (endpoint: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  KAFKA_BROKERS: BROKERS.join(','),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

/** Runs a compiled CLI to its end without blocking this process's event loop (a receiver may live here). */
export function runToExit(
  args: string[],
  opts: { env: Record<string, string> },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

export interface TracedProcessor {
  readonly child: ChildProcess;
  /** The Kafka consumer group it joined. */
  readonly groupId: string;
  /** Its stdout and stderr so far (JSON log lines). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the compiled processor on `topic` (one partition) and resolves once it has joined its group. */
export async function startTracedProcessor(
  endpoint: string,
  topic: string,
  databaseUrl: string,
): Promise<TracedProcessor> {
  const groupId = uniqueName('it-traces');
  const child = spawn(process.execPath, [PROCESSOR], {
    env: {
      ...otelEnv(endpoint),
      DATABASE_URL: databaseUrl,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
      PROCESSOR_GROUP_ID: groupId,
      PROCESSOR_TOPIC_PARTITIONS: '1',
      PROCESSOR_PORT: '0',
      PROCESSOR_HOST: '127.0.0.1',
      KAFKA_SESSION_TIMEOUT: '10s',
      KAFKA_HEARTBEAT_INTERVAL: '1s',
      LOG_LEVEL: 'info',
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor('the processor to join its group', async () => {
      if (child.exitCode !== null) throw new Error(`processor exited ${child.exitCode}:\n${out}`);
      return out.includes('joined group') ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, groupId, output: () => out, stop };
}

/** Runs the compiled simulator once: one reading of one site to `topic`, nothing anomalous or late. */
export async function simulateOneReading(endpoint: string, topic: string): Promise<void> {
  const sim = await runToExit([SIMULATOR, '--count', '1', '--rate', '0', '--sites', '1'], {
    env: {
      ...otelEnv(endpoint),
      SIM_TOPIC: topic,
      SIM_DLQ_TOPIC: `${topic}.dlq`,
      SIM_PARTITIONS: '1',
      SIM_METRICS_PORT: '0',
      SIM_ANOMALY_RATE: '0',
      SIM_DUPLICATE_RATE: '0',
      SIM_LATE_RATE: '0',
      SIM_OUT_OF_ORDER_RATE: '0',
      SIM_MALFORMED_RATE: '0',
    },
  });
  if (sim.status !== 0) throw new Error(`simulator exited ${sim.status}:\n${sim.stdout}${sim.stderr}`);
}

export interface TracedApi {
  /** Its base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the compiled API on a free loopback port and resolves with its URL once it listens. */
export async function startTracedApi(
  endpoint: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<TracedApi> {
  const child = spawn(process.execPath, [API], {
    env: {
      ...otelEnv(endpoint),
      DATABASE_URL: databaseUrl,
      API_PORT: '0',
      API_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await waitFor('the API to listen', async () => {
      if (child.exitCode !== null) throw new Error(`API exited ${child.exitCode}:\n${out}`);
      return /"url":"(http:[^"]+)"/.exec(out)?.[1];
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

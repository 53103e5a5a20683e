import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../private-infra';
import { httpGet } from './fleet';

/**
 * The API as a child process on the private database, and a fixed-rate probe of its read routes, for the
 * soak's "API p99 while ingesting" (reported beside its 50 ms target, never asserted: times are for
 * benchmarks, and the machine is shared).
 */

const execFileAsync = promisify(execFile);
const MAIN = path.join(__dirname, '..', '..', '..', 'services', 'api', 'dist', 'main.js');

export interface ProbedRoute {
  readonly name: string;
  readonly path: string;
}

/**
 * The routes of the API benchmark's target (docs/benchmarks.md): latest readings per device and per zone,
 * the 24-hour trend of a zone in 15-minute buckets (ending now), and the open alerts.
 */
export function probedRoutes(nowMs = Date.now()): ProbedRoute[] {
  const from = new Date(nowMs - 24 * 3600_000).toISOString();
  const to = new Date(nowMs).toISOString();
  return [
    { name: 'latest per device', path: '/api/v1/devices/latest?site_id=site-1' },
    { name: 'latest per zone', path: '/api/v1/zones/latest?site_id=site-1' },
    {
      name: '24 h trend',
      path: `/api/v1/aggregates?site_id=site-1&zone_id=site-1-zone-1&sensor_type=co2&bucket=15m&from=${from}&to=${to}`,
    },
    { name: 'open alerts', path: '/api/v1/alerts?status=open,acknowledged&limit=50' },
  ];
}

export interface ApiProcess {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startApi(logFile: string, env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      API_RATE_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await httpGet(port, '/readyz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the API did not get ready (see ${logFile})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// Node runs the .ts script as it is; without a package type it would warn so on stderr at every start.
const NO_TYPELESS_WARNING = '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON';
const HTTP_LOAD = path.join(__dirname, '..', '..', '..', 'scripts', 'bench', 'http-load.ts');

export interface ProbeResult {
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly requests: number;
  /** How late the probe itself sent its requests (p99, ms): when large, the probe was starved too. */
  readonly sendLagP99: number;
  /** p99 (ms) of each route, in the order given: which one makes the tail. */
  readonly routeP99: readonly number[];
}

/**
 * `ratePerSec` GETs a second over `routes` in rotation for `seconds`, evenly paced and open loop (latency
 * from each request's due time, as in the API benchmark), from a child process of its own
 * (scripts/bench/http-load.ts) so that the test process's Kafka producer cannot stall the probe's timers,
 * and at niceness 0 even when the caller runs niced (lowering niceness needs root, as here and in CI;
 * elsewhere nice(1) warns and the probe keeps the caller's niceness).
 */
export async function probe(
  port: number,
  routes: readonly string[],
  ratePerSec: number,
  seconds: number,
): Promise<ProbeResult> {
  // A caller that lowered its own priority (the soak's traffic thread) would pass it on to the probe.
  const inherited = os.getPriority();
  const command = inherited > 0 ? 'nice' : process.execPath;
  const prefix = inherited > 0 ? ['-n', String(-inherited), process.execPath] : [];
  const args = [
    ...prefix,
    NO_TYPELESS_WARNING,
    HTTP_LOAD,
    '--origin',
    `http://127.0.0.1:${port}`,
    '--rate',
    String(ratePerSec),
  ];
  args.push('--duration', `${seconds}s`, ...routes.flatMap((r) => ['--path', r]));
  const { stdout } = await execFileAsync(command, args, { timeout: (seconds + 30) * 1000 });
  const r = JSON.parse(stdout) as {
    rate: number;
    p50: number;
    p99: number;
    failed: number;
    sendLagP99: number;
    byPath: { p99: number }[];
  };
  return {
    p50: r.p50,
    p99: r.p99,
    errors: r.failed,
    requests: Math.round(ratePerSec * seconds),
    sendLagP99: r.sendLagP99,
    routeP99: r.byPath.map((b) => b.p99),
  };
}

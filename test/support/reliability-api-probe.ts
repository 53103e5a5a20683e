import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from './private-infra';
import { httpGet } from './reliability-fleet';

/**
 * The API as a child process on the private database, and a fixed-rate probe of its read routes, for the
 * soak's "API p99 while ingesting" (reported, never asserted: the machine is shared).
 */

const MAIN = path.join(__dirname, '..', '..', 'services', 'api', 'dist', 'main.js');

/** The routes of the API benchmark's target (docs/benchmarks.md): latest readings, trend, open alerts. */
export const PROBED_ROUTES = [
  '/api/v1/devices/latest?site_id=site-1',
  '/api/v1/zones/latest?site_id=site-1',
  '/api/v1/alerts?status=open,acknowledged&limit=50',
];

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

/** Latencies (ms) of `ratePerSec` GETs a second over `routes` in rotation, for `seconds`; failures count as errors. */
export async function probe(
  port: number,
  routes: readonly string[],
  ratePerSec: number,
  seconds: number,
): Promise<{ p50: number; p99: number; errors: number; requests: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = Date.now();
  const total = ratePerSec * seconds;
  for (let i = 0; i < total; i += 1) {
    const due = started + (i / ratePerSec) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const route = routes[i % routes.length] ?? '/';
    const t0 = process.hrtime.bigint();
    inFlight.push(
      new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: route, agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            else errors += 1;
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          errors += 1;
          resolve();
        });
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), errors, requests: total };
}

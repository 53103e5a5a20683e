// Fixed-rate HTTP load for the benchmarks, in two pacings:
//
// - even: an open loop. Request i is due at t0 + i/rate; it goes out on the first free one of
//   `connections` keep-alive sockets (it waits for one when all are busy) and its latency runs from the
//   moment it was due. A stall of the server therefore shows in every request it delayed, the way users
//   would see it (no coordinated omission), and no burst is made that the rate does not ask for.
// - autocannon: autocannon's `overallRate`. Each connection sends its share of the second back to back,
//   then waits for the next second, so every second starts with up to `connections` requests at once;
//   latencies are each response's own time (its coordinated-omission correction is off: with a
//   per-connection rate it adds made-up samples).
//
// Both return the same figures; `cpuMsPerRequest` is what the server process spent, read from /proc.
import http from 'node:http';
import { cpuSeconds, load, percentile } from './common.ts';

export const PACINGS = ['even', 'autocannon'] as const;
export type Pacing = (typeof PACINGS)[number];
export const isPacing = (p: string): p is Pacing => (PACINGS as readonly string[]).includes(p);
const REQUEST_TIMEOUT_MS = 10_000;

/** A server under load: its origin, and its process id when it runs on this machine. */
export interface LoadTarget {
  readonly origin: string;
  readonly pid?: number | undefined;
}

export interface LoadOptions {
  readonly rate: number;
  readonly connections: number;
}

/** What one run measured; times in ms. The send lags and byPath come with even pacing only. */
export interface LoadResult {
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  failed: number;
  cpuMsPerRequest: number;
  sendLagP99?: number;
  sendLagMax?: number;
  byPath?: { path: string; p50: number; p99: number; max: number }[];
}

/** The server's CPU seconds so far; 0 when its process id is not known (a remote server). */
function serverCpu(server: LoadTarget): number {
  return server.pid === undefined ? 0 : cpuSeconds(server.pid);
}

function summary(
  latencies: number[],
  seconds: number,
  failed: number,
  cpuS: number,
  extra: Partial<LoadResult> = {},
): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    failed,
    cpuMsPerRequest: (cpuS * 1000) / Math.max(1, latencies.length),
    ...extra,
  };
}

/**
 * Evenly paced open-loop load: `rate` requests/s for `seconds`, cycling through `paths`. Latency is from
 * each request's due time to the end of its response. `sendLagP99`/`sendLagMax` say how late this process
 * itself was in sending (timer and event-loop delay, queueing for a socket not included): when they are
 * large the load generator was starved and its figures include that.
 */
async function loadEven(
  server: LoadTarget,
  paths: readonly string[],
  seconds: number,
  { rate, connections }: LoadOptions,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const { hostname, port } = new URL(server.origin);
  const intervalMs = 1000 / rate;
  const total = Math.round(seconds * rate);
  const latencies: number[] = [];
  const byPath = paths.map((): number[] => []);
  const lags: number[] = [];
  let failed = 0;
  let outstanding = 0;
  let allSent = (): void => undefined;
  const drained = new Promise<void>((resolve) => (allSent = resolve));
  const done = () => {
    outstanding -= 1;
    if (outstanding === 0 && lags.length === total) allSent();
  };

  const send = (i: number, due: number): void => {
    lags.push(performance.now() - due);
    outstanding += 1;
    let settled = false;
    // Exactly once per request, whichever of answer, error or close comes first.
    const settle = (status: number | undefined): void => {
      if (settled) return;
      settled = true;
      if (status !== undefined) {
        const latency = performance.now() - due;
        latencies.push(latency);
        byPath[i % paths.length]?.push(latency);
      }
      if (status !== 200) failed += 1;
      done();
    };
    const req = http.get({ agent, host: hostname, port, path: paths[i % paths.length] }, (res) => {
      res.resume();
      res.once('end', () => settle(res.statusCode));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timed out')));
    req.once('error', () => settle(undefined));
    req.once('close', () => settle(undefined));
  };

  const cpuBefore = serverCpu(server);
  const t0 = performance.now() + 10;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (; next < total && t0 + next * intervalMs <= now; next++) send(next, t0 + next * intervalMs);
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, t0 + next * intervalMs - performance.now()));
    };
    setTimeout(tick, 10);
  });
  if (outstanding > 0) await drained; // bounded: every request ends within REQUEST_TIMEOUT_MS
  const cpuS = serverCpu(server) - cpuBefore;
  agent.destroy();
  lags.sort((a, b) => a - b);
  return summary(latencies, seconds, failed, cpuS, {
    sendLagP99: percentile(lags, 99),
    sendLagMax: lags.at(-1) ?? NaN,
    // Per path of the rotation: which route makes the tail.
    byPath: byPath.map((l, j) => {
      l.sort((a, b) => a - b);
      return { path: paths[j] ?? '', p50: percentile(l, 50), p99: percentile(l, 99), max: l.at(-1) ?? NaN };
    }),
  });
}

/** What this file uses of autocannon (no type definitions ship with it). */
type Autocannon = (options: {
  url: string;
  connections: number;
  overallRate: number;
  duration: number;
  requests: { method: 'GET'; path: string }[];
  ignoreCoordinatedOmission: boolean;
  timeout: number;
}) => PromiseLike<{ errors: number; timeouts: number }> & {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
};

/** autocannon at `overallRate`; see the top of this file for what that does to the tails. */
async function loadAutocannon(
  server: LoadTarget,
  paths: readonly string[],
  seconds: number,
  { rate, connections }: LoadOptions,
): Promise<LoadResult> {
  const autocannon = load('autocannon') as Autocannon;
  const latencies: number[] = [];
  let non200 = 0;
  const cpuBefore = serverCpu(server);
  const instance = autocannon({
    url: server.origin,
    connections,
    overallRate: rate,
    duration: seconds,
    requests: paths.map((p) => ({ method: 'GET', path: p })),
    ignoreCoordinatedOmission: true,
    timeout: REQUEST_TIMEOUT_MS / 1000,
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status !== 200) non200 += 1;
  });
  const result = await instance;
  const cpuS = serverCpu(server) - cpuBefore;
  return summary(latencies, seconds, non200 + result.errors + result.timeouts, cpuS);
}

/** Runs `rate` requests/s against `server` for `seconds` with the named pacing. */
export function loadAt(
  pacing: string,
  server: LoadTarget,
  paths: readonly string[],
  seconds: number,
  opts: LoadOptions,
): Promise<LoadResult> {
  if (pacing === 'even') return loadEven(server, paths, seconds, opts);
  if (pacing === 'autocannon') return loadAutocannon(server, paths, seconds, opts);
  throw new Error(`--pacing must be one of ${PACINGS.join(', ')}, not ${pacing}`);
}

/** One line for the report: what the load was. */
export function describePacing(pacing: string, { rate, connections }: LoadOptions): string {
  return pacing === 'even'
    ? `even pacing (open loop): one request every ${(1000 / rate).toFixed(1)} ms over at most ${connections} ` +
        'keep-alive connections; latency from the time each request was due, so waiting for a free ' +
        'connection counts'
    : `autocannon overallRate ${rate}/s over ${connections} connections (each sends its share back to back ` +
        'at the start of every second); latency is each response’s own, from when it was sent';
}

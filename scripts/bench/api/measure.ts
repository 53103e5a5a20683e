/**
 * Measuring the API benchmark's routes: every route on every server, in rounds (rounds outside, routes
 * inside, the servers' order rotated each round, so one busy moment of the machine does not decide a
 * figure), with the CPU by process, the SQL plans and the live ingestion around it. api-cpu.ts runs the
 * same rounds without the processor.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import type pg from 'pg';
import * as cpuShare from '../cpu-share.ts';
import { applied, fmt, sleep, stopChild } from '../common.ts';
import { combineRounds, median, type Combined } from '../figures.ts';
import { loadAt, type LoadOptions, type LoadResult } from '../load.ts';
import { log } from './dataset.ts';
import { createStores, routes, storeCalls, type Queryable, type Route } from './routes.ts';
import { message, startProducer, type Server } from './servers.ts';

/** How each run loads a server. */
export interface RunOptions extends LoadOptions {
  readonly pacing: string;
  readonly rounds: number;
  readonly warmupS: number;
  readonly seconds: number;
}

/** Checks that every server answers every path with 200 and items; warns when their counts differ. */
export async function verify(route: Route, servers: Readonly<Record<string, Server>>): Promise<void> {
  for (const p of route.paths) {
    const counts = [];
    for (const server of Object.values(servers)) {
      const res = await fetch(server.origin + p);
      const body = (await res.json()) as { items: unknown[] };
      if (res.status !== 200) throw new Error(`${server.origin}${p}: ${res.status} ${JSON.stringify(body)}`);
      if (body.items.length === 0) throw new Error(`${p}: no items; the generated data misses this query`);
      counts.push(body.items.length);
    }
    // A live window can open between the two calls; anything else means the two servers differ.
    if (new Set(counts).size !== 1)
      log(`warning: ${p}: koa and node:http answered ${counts.join(' and ')} items`);
  }
}

/**
 * Every route on every server, `rounds` times: the first round verifies `verified` first; `onRun` hears
 * each measured run. Returns the runs by route index and server name, and the load average after each
 * route of each round.
 */
export async function measureRounds(
  routeList: readonly Route[],
  servers: Readonly<Record<string, Server>>,
  verified: Readonly<Record<string, Server>>,
  run: RunOptions,
  onRun: (round: number, route: Route, name: string, r: LoadResult) => void,
): Promise<{ runs: Record<string, LoadResult[]>[]; loads: number[][] }> {
  const names = Object.keys(servers);
  const runs = routeList.map(() => Object.fromEntries(names.map((n): [string, LoadResult[]] => [n, []])));
  const loads = routeList.map((): number[] => []);
  for (let round = 0; round < run.rounds; round++) {
    for (const [i, route] of routeList.entries()) {
      if (round === 0) await verify(route, verified);
      // Rotate who goes first, so a drift in the machine's load does not favour one server.
      const order = names.map((_, j) => names[(j + round) % names.length] ?? '');
      for (const name of order) {
        const server = servers[name];
        if (!server) continue;
        if (run.warmupS > 0) await loadAt(run.pacing, server, route.paths, run.warmupS, run);
        const r = await loadAt(run.pacing, server, route.paths, run.seconds, run);
        runs[i]?.[name]?.push(r);
        onRun(round + 1, route, name, r);
      }
      loads[i]?.push(os.loadavg()[0] ?? NaN);
    }
  }
  return { runs, loads };
}

/** A plan's node types (with relation or index) in tree order, its time and buffers. */
export interface PlanSummary {
  nodes: string;
  ms: number;
  buffers: number;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** Summarises a JSON plan (EXPLAIN ... FORMAT JSON, one statement). */
export function summarisePlan(explained: { Plan: PlanNode; 'Execution Time': number }): PlanSummary {
  const nodes: string[] = [];
  const walk = (n: PlanNode): void => {
    const on = n['Index Name'] ?? n['Relation Name'];
    nodes.push(on ? `${n['Node Type']} (${on})` : n['Node Type']);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(explained.Plan);
  return {
    nodes: nodes.join(' > '),
    ms: explained['Execution Time'],
    buffers: (explained.Plan['Shared Hit Blocks'] ?? 0) + (explained.Plan['Shared Read Blocks'] ?? 0),
  };
}

/** EXPLAIN (ANALYZE, BUFFERS) of the SQL each route's store call sends, for its first path; median of 5. */
async function explainAll(pool: pg.Pool, routeList: readonly Route[]): Promise<Record<string, PlanSummary>> {
  const calls = storeCalls();
  const out: Record<string, PlanSummary> = {};
  for (const route of routeList) {
    const url = new URL(route.paths[0] ?? '/', 'http://x');
    let captured = { sql: '', params: [] as unknown[] };
    const recorder = {
      query: async (sql: string, params: unknown[]) => {
        captured = { sql, params };
        return { rows: [] };
      },
    } as unknown as Queryable;
    await calls[url.pathname]?.(createStores(recorder), url.searchParams);
    const runs: PlanSummary[] = [];
    for (let i = 0; i < 5; i++) {
      const { rows } = await pool.query<{ 'QUERY PLAN': [Parameters<typeof summarisePlan>[0]] }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${captured.sql}`,
        captured.params,
      );
      const plan = rows[0]?.['QUERY PLAN'][0];
      if (plan) runs.push(summarisePlan(plan));
    }
    runs.sort((a, b) => a.ms - b.ms);
    const mid = runs[2];
    if (mid) out[route.name] = mid;
  }
  return out;
}

/** Rows in raw_events, from the trigger-kept counts (count(*) would read the whole table). */
async function rawRows(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT coalesce(sum(events), 0)::bigint AS n FROM raw_event_counts',
  );
  return Number(rows[0]?.n);
}

/** The running benchmark: its servers, database pool, topic and processor. */
export interface MeasureContext {
  readonly servers: { readonly koa: Server; readonly bare: Server };
  readonly pool: pg.Pool;
  readonly group: string;
  readonly topic: string;
  readonly processorPid: number | undefined;
  /** Readings produced so far, over every measurement. */
  sentTotal: number;
}

export interface RouteFigures {
  route: string;
  koa: Combined;
  bare: Combined;
  load1: number;
}

export interface Ingest {
  applied: number;
  seconds: number;
  sent?: number;
  producedS?: number;
  backlog?: number;
}

/** One dataset measured. */
export interface Measurement {
  label: string;
  rowsBefore: number;
  rowsAfter: number;
  loadavg: [number, number];
  results: RouteFigures[];
  plans: Record<string, PlanSummary>;
  ingest: Ingest;
  cpu: cpuShare.Share | null;
}

/**
 * Measures every route on both servers, `run.rounds` times, while the producer feeds the processor at
 * `ingestRate` readings/s (none at 0); each figure is the median of the rounds.
 */
export async function measure(
  ctx: MeasureContext,
  label: string,
  run: RunOptions,
  ingestRate: string,
): Promise<Measurement> {
  const { servers, pool, group, topic } = ctx;
  let producer: ChildProcess | undefined;
  if (Number(ingestRate) > 0) {
    producer = await startProducer(topic, ingestRate);
    await sleep(5_000); // let the processor reach its steady state
  }
  const rowsBefore = await rawRows(pool);
  const appliedBefore = await applied(pool, group, topic);
  const roles = new Map<number | undefined, string>([
    [ctx.processorPid, 'processor'],
    [servers.koa.pid, 'koa API'],
    [servers.bare.pid, 'node:http server'],
    [process.pid, 'load generator'],
  ]);
  if (producer) roles.set(producer.pid, 'producer (the devices)');
  const cpuBefore = await cpuShare.snapshot(roles, pool);
  const t0 = Date.now();
  const load1 = os.loadavg()[0] ?? NaN;
  const routeList = routes(Date.now());
  const { runs, loads } = await measureRounds(routeList, servers, servers, run, (round, route, name, r) =>
    log(
      `${label}, round ${round}/${run.rounds}, ${route.name}, ${name}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
        `${fmt(r.rate)} req/s, ${r.failed} failed, ${r.cpuMsPerRequest.toFixed(2)} ms CPU/request` +
        (r.sendLagP99 === undefined ? '' : `, send lag p99 ${r.sendLagP99.toFixed(1)} ms`),
    ),
  );
  const results = routeList.map((route, i) => ({
    route: route.name,
    koa: combineRounds(runs[i]?.['koa'] ?? []),
    bare: combineRounds(runs[i]?.['bare'] ?? []),
    load1: median(loads[i] ?? []),
  }));
  const cpu = cpuShare.share(cpuBefore, await cpuShare.snapshot(roles, pool));
  log(`${label}, CPU while measuring: ${cpuShare.describe(cpu)}`);
  const plans = await explainAll(pool, routeList);
  const ingest: Ingest = {
    applied: (await applied(pool, group, topic)) - appliedBefore,
    seconds: (Date.now() - t0) / 1000,
  };
  const rowsAfter = await rawRows(pool);
  if (producer) {
    producer.send('stop');
    const { sent, seconds: producedS } = await message<{ sent: number; seconds: number }>(producer, 'sent');
    ctx.sentTotal += sent;
    Object.assign(ingest, { sent, producedS, backlog: ctx.sentTotal - (await applied(pool, group, topic)) });
    await stopChild(producer);
  }
  return {
    label,
    rowsBefore,
    rowsAfter,
    loadavg: [load1, os.loadavg()[0] ?? NaN],
    results,
    plans,
    ingest,
    cpu,
  };
}

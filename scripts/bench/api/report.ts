/**
 * The API benchmark's reports as Markdown, from figures alone (no I/O): the full run (api.ts) and the CPU
 * per request (api-cpu.ts). test/unit/scripts/bench-api-report.test.ts checks what they decide (met or
 * missed, growth, the columns per server).
 */
import os from 'node:os';
import { fmt, median, type Combined } from '../figures.ts';
import { describePacing } from '../load.ts';
import * as cpuShare from '../cpu-share.ts';
import { DEVICES_PER_ZONE, SENSORS, SERIES, SITES, ZONES_PER_SITE, type DatasetFigures } from './dataset.ts';
import type { Measurement } from './measure.ts';

/** Where the benchmark ran; the report's first line. */
export interface Environment {
  readonly at: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
}

export function environment(): Environment {
  return {
    at: new Date().toISOString(),
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    node: process.version,
  };
}

/** The command line's figures the report repeats. */
export interface ReportOptions {
  readonly stepS: number;
  readonly rate: string;
  readonly rounds: string;
  readonly duration: string;
  readonly warmup: string;
  readonly pacing: string;
  readonly connections: string;
  readonly 'processor-nice': string;
  readonly 'ingest-rate': string;
}

export interface ApiReport {
  postgres: string;
  loads: DatasetFigures[];
  runs: Measurement[];
  totalS: number;
}

export function formatApiReport(r: ApiReport, o: ReportOptions, env: Environment = environment()): string {
  const { stepS } = o;
  const ms = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(1) : '-');
  const range = (f: Combined): string => (f.rounds > 1 ? `${ms(f.p99Low)}-${ms(f.p99High)}` : '-');
  const x = (a: number | undefined, b: number | undefined): string =>
    `${((a ?? NaN) / (b ?? NaN)).toFixed(2)}x`;
  const lines = [
    '',
    `API benchmark, ${env.at}, ${env.cores} cores (${env.cpuModel}), ` +
      `Node ${env.node}; Kafka, PostgreSQL, processor, API and load generator on the one machine`,
    `load: ${o.rate} requests/s per route, ${o.rounds} rounds of ${o.duration} measured after ${o.warmup} warm-up, per route and server ` +
      '(figures are medians of the rounds); ' +
      describePacing(o.pacing, { rate: Number(o.rate), connections: Number(o.connections) }),
    `PostgreSQL: ${r.postgres}`,
    `processor niceness: ${o['processor-nice']}` +
      (Number(o['processor-nice']) > 0 ? ' (its PostgreSQL sessions, Kafka and the producer at 0)' : ''),
    `fleet: ${SITES} sites x ${ZONES_PER_SITE} zones x ${DEVICES_PER_ZONE} devices x ${SENSORS.length} sensors (${SERIES} series), ` +
      `one reading per sensor every ${stepS} s`,
    '',
    '| dataset | generated raw rows | history | load (rows/s) | VACUUM ANALYZE | CHECKPOINT and writeback | raw_events with indexes | window rows | alerts |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  r.loads.forEach((l, i) => {
    const days = ((l.raw / SERIES) * stepS) / 86400;
    lines.push(
      `| ${i === 0 ? 'first' : 'older history added'}${l.cut ? ' (BUDGET RAN OUT)' : ''} | ${fmt(l.raw)} ` +
        `| ${days.toFixed(1)} days | ${l.loadS.toFixed(0)} s (${fmt(l.raw / l.loadS)}) | ${l.vacuumS.toFixed(0)} s ` +
        `| ${l.settled.seconds.toFixed(0)} s${l.settled.checkpoint === 'done' ? '' : ' (no CHECKPOINT)'}, ${l.settled.dirtyMiB.toFixed(0)} MiB left dirty ` +
        `| ${(l.rawBytes / 2 ** 30).toFixed(2)} GiB | ${fmt(l.windowRows)} | ${fmt(l.alertRows)} |`,
    );
  });
  for (const run of r.runs) {
    const ing = run.ingest;
    lines.push(
      '',
      `#### ${run.label} generated; raw_events held ${fmt(run.rowsBefore)} rows when measuring began, ${fmt(run.rowsAfter)} at the end`,
      '',
      ing.sent === undefined || ing.producedS === undefined || ing.backlog === undefined
        ? 'no live ingestion'
        : `live ingestion: produced ${fmt(ing.sent / ing.producedS)} events/s (target ${fmt(Number(o['ingest-rate']))}), ` +
            `processor applied ${fmt(ing.applied / ing.seconds)} events/s while measuring, ` +
            `backlog when the producer stopped ${fmt(ing.backlog)}; 1-min load average ${run.loadavg.map((l: number) => l.toFixed(1)).join(' -> ')}`,
      '',
      `CPU while measuring: ${cpuShare.describe(run.cpu)}`,
      '',
      '| route | req/s | p50 ms | p90 ms | p99 ms | p99 rounds | max ms | failed | node:http p50 | node:http p99 | node:http p99 rounds | koa/http p99 | koa/http mean | CPU ms/req koa / node:http | load 1 min |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of run.results) {
      const k = row.koa;
      const b = row.bare;
      lines.push(
        `| ${row.route} | ${fmt(k.rate)} | ${ms(k['p50'])} | ${ms(k['p90'])} | ${ms(k.p99)} | ${range(k)} | ${ms(k.max)} ` +
          `| ${k.failed + b.failed} | ${ms(b.p50)} | ${ms(b.p99)} | ${range(b)} | ${x(k.p99, b.p99)} | ${x(k.mean, b.mean)} ` +
          `| ${k.cpuMsPerRequest.toFixed(2)} / ${b.cpuMsPerRequest.toFixed(2)} | ${row.load1.toFixed(1)} |`,
      );
    }
    const lags = run.results.flatMap((row) => [row.koa.sendLagP99, row.bare.sendLagP99]);
    if (lags.every((l) => l !== undefined))
      lines.push(
        '',
        `load generator's own send lag, p99 per run: ${Math.min(...lags).toFixed(1)}-${Math.max(...lags).toFixed(1)} ms ` +
          '(part of every latency above: the time each request left after it was due)',
      );
    const slow = run.results.filter((row) => !(row.koa.p99 <= 50));
    const worst = run.results.reduce((w, row) => (row.koa.p99High > w.koa.p99High ? row : w));
    lines.push(
      '',
      (slow.length === 0
        ? `p99 <= 50 ms on koa for every route (median of ${o.rounds} rounds): met`
        : `p99 <= 50 ms (median of ${o.rounds} rounds): MISSED on ${slow.map((row) => `${row.route} (${ms(row.koa.p99)} ms)`).join(', ')}`) +
        `; worst single round: ${worst.route}, ${ms(worst.koa.p99High)} ms`,
      '',
      '| query (first path) | plan | execution ms (median of 5) | buffers |',
      '| --- | --- | ---: | ---: |',
    );
    for (const [name, p] of Object.entries(run.plans))
      lines.push(`| ${name} | ${p.nodes} | ${p.ms.toFixed(3)} | ${fmt(p.buffers)} |`);
  }
  if (r.runs.length === 2) {
    const [a, b] = r.runs;
    lines.push(
      '',
      `#### Growth: ${b.label} against ${a.label} generated (target: no more than 1.50x)`,
      '',
      '| route | koa p50 | koa p99 | node:http p50 | node:http p99 | SQL execution | SQL buffers |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    a.results.forEach((ra, i) => {
      const rb = b.results[i];
      const pa = a.plans[ra.route];
      const pb = b.plans[ra.route];
      lines.push(
        `| ${ra.route} | ${x(rb.koa.p50, ra.koa.p50)} | ${x(rb.koa.p99, ra.koa.p99)} | ${x(rb.bare.p50, ra.bare.p50)} ` +
          `| ${x(rb.bare.p99, ra.bare.p99)} | ${x(pb.ms, pa.ms)} | ${x(pb.buffers, pa.buffers)} |`,
      );
    });
  }
  lines.push('', `whole run: ${(r.totalS / 60).toFixed(1)} min`);
  return lines.join('\n');
}

/** api-cpu.ts's samples: route -> server -> one entry per round. */
export type CpuSamples = Record<string, Record<string, { cpu: number; p50: number; p99: number }[]>>;

/** api-cpu.ts's report: CPU per request by route for each server beside the bare one, medians over the rounds. */
export function formatCpuReport(
  samples: CpuSamples,
  o: {
    servers: readonly string[];
    rows: string;
    inMemory: boolean;
    cpuProf: string | undefined;
    baseline: string | undefined;
    rate: string;
    duration: string;
    warmup: string;
    rounds: number;
    pacing: string;
    connections: number;
    load1: readonly number[];
    totalS: number;
  },
  env: Environment = environment(),
): string {
  const names = o.servers.filter((n) => n !== 'bare');
  const lines = [
    '',
    `API CPU per request, ${env.at}, ${env.cores} cores, Node ${env.node}, ` +
      `${fmt(Number(o.rows))} raw rows, no ingestion` +
      (o.inMemory ? ', reads answered from memory (in-memory-reads.ts)' : ''),
    `load: ${o.rate} requests/s per route, ${o.duration} after ${o.warmup} warm-up, ${o.rounds} rounds; ` +
      describePacing(o.pacing, { rate: Number(o.rate), connections: o.connections }),
    `1-min load average after each round: ${o.load1.map((l) => l.toFixed(1)).join(', ')}`,
    `servers: koa = services/api/dist${o.cpuProf ? ' (koa and node:http under --cpu-prof)' : ''}` +
      (o.baseline ? `, baseline = ${o.baseline}` : '') +
      ', node:http = the bare server; figures are medians over the rounds',
    '',
    `| route | ${names.map((n) => `${n} CPU ms/req`).join(' | ')} | node:http CPU ms/req | ` +
      `${names.map((n) => `${n} - node:http`).join(' | ')} | ${names.map((n) => `${n} p50 / p99 ms`).join(' | ')} |`,
    `| --- |${' ---: |'.repeat(names.length * 3 + 1)}`,
  ];
  for (const [route, by] of Object.entries(samples)) {
    const of = (n: string, f: 'cpu' | 'p50' | 'p99'): number => median((by[n] ?? []).map((s) => s[f]));
    const lat = (n: string): string => `${of(n, 'p50').toFixed(1)} / ${of(n, 'p99').toFixed(1)}`;
    lines.push(
      `| ${route} | ${names.map((n) => of(n, 'cpu').toFixed(3)).join(' | ')} | ${of('bare', 'cpu').toFixed(3)} ` +
        `| ${names.map((n) => (of(n, 'cpu') - of('bare', 'cpu')).toFixed(3)).join(' | ')} | ${names.map(lat).join(' | ')} |`,
    );
  }
  lines.push('', `whole run: ${(o.totalS / 60).toFixed(1)} min`);
  return lines.join('\n');
}

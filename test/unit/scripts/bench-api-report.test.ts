import { formatApiReport, formatCpuReport, type ApiReport } from '../../../scripts/bench/api/report';
import { combineRounds } from '../../../scripts/bench/figures';
import type { RouteFigures } from '../../../scripts/bench/api/measure';

const env = { at: '2026-01-01T00:00:00.000Z', cores: 2, cpuModel: 'test cpu', node: 'v24.0.0' };
const options = {
  stepS: 30,
  rate: '200',
  rounds: '1',
  duration: '15s',
  warmup: '2s',
  pacing: 'even',
  connections: '10',
  'processor-nice': '10',
  'ingest-rate': '0',
};

const run = (p99: number) => ({
  rate: 200,
  p50: 2,
  p90: 5,
  p99,
  max: p99 + 1,
  mean: 3,
  failed: 0,
  cpuMsPerRequest: 1,
});
const route = (name: string, koaP99: number): RouteFigures => ({
  route: name,
  koa: combineRounds([run(koaP99)]),
  bare: combineRounds([run(10)]),
  load1: 1,
});
const dataset = {
  raw: 518_400, // 180 series x 2,880 readings 30 s apart: one day
  windows: 100,
  alerts: 40,
  kReached: 0,
  cut: false,
  loadS: 2,
  vacuumS: 1,
  settled: { checkpoint: 'done', seconds: 1, dirtyMiB: 10 },
  rawBytes: 2 ** 30,
  windowRows: 100,
  alertRows: 72,
};
const measurement = (label: string, results: RouteFigures[]) => ({
  label,
  rowsBefore: 21_600,
  rowsAfter: 21_600,
  loadavg: [1, 1] as [number, number],
  results,
  plans: Object.fromEntries(
    results.map((r) => [r.route, { nodes: 'Limit > Seq Scan (alerts)', ms: 0.1, buffers: 5 }]),
  ),
  ingest: { applied: 0, seconds: 15 },
  cpu: null,
});

describe('API benchmark report (scripts/bench/api/report.ts)', () => {
  it('says the p99 goal is met when every route is at most 50 ms', () => {
    const report: ApiReport = {
      postgres: 'server_version 17',
      loads: [dataset],
      runs: [measurement('21,600 rows', [route('open alerts', 12), route('latest per zone', 50)])],
      totalS: 90,
    };
    const text = formatApiReport(report, options, env);
    expect(text).toContain('API benchmark, 2026-01-01T00:00:00.000Z, 2 cores (test cpu), Node v24.0.0');
    expect(text).toContain('p99 <= 50 ms on koa for every route (median of 1 rounds): met');
    expect(text).toContain('no live ingestion');
    expect(text).toContain('| first | 518,400 | 1.0 days |');
    expect(text).not.toContain('#### Growth');
  });

  it('names the routes that miss it, and compares two datasets', () => {
    const report: ApiReport = {
      postgres: '',
      loads: [dataset, dataset],
      runs: [
        measurement('21,600 rows', [route('open alerts', 12), route('latest per zone', 20)]),
        measurement('43,200 rows', [route('open alerts', 24), route('latest per zone', 80)]),
      ],
      totalS: 90,
    };
    const text = formatApiReport(report, options, env);
    expect(text).toContain('MISSED on latest per zone (80.0 ms)');
    expect(text).toContain('#### Growth: 43,200 rows against 21,600 rows generated');
    expect(text).toContain('| open alerts | 1.00x | 2.00x |');
  });
});

describe('API CPU report (scripts/bench/api/report.ts)', () => {
  it('has a column per server beside node:http, and each one minus node:http, as medians', () => {
    const samples = {
      'open alerts': {
        koa: [
          { cpu: 3, p50: 5, p99: 9 },
          { cpu: 1, p50: 4, p99: 8 },
          { cpu: 2, p50: 6, p99: 7 },
        ],
        bare: [
          { cpu: 1, p50: 3, p99: 4 },
          { cpu: 1, p50: 3, p99: 4 },
          { cpu: 1, p50: 3, p99: 4 },
        ],
        baseline: [
          { cpu: 4, p50: 5, p99: 9 },
          { cpu: 4, p50: 5, p99: 9 },
          { cpu: 4, p50: 5, p99: 9 },
        ],
      },
    };
    const text = formatCpuReport(
      samples,
      {
        servers: ['bare', 'koa', 'baseline'],
        rows: '600000',
        inMemory: false,
        cpuProf: undefined,
        baseline: '/tmp/api-before',
        rate: '200',
        duration: '10s',
        warmup: '2s',
        rounds: 3,
        pacing: 'even',
        connections: 10,
        load1: [1, 1, 1],
        totalS: 60,
      },
      env,
    );
    expect(text).toContain(
      '| route | koa CPU ms/req | baseline CPU ms/req | node:http CPU ms/req | koa - node:http | baseline - node:http |',
    );
    expect(text).toContain('| open alerts | 2.000 | 4.000 | 1.000 | 1.000 | 3.000 | 5.0 / 8.0 | 5.0 / 9.0 |');
    expect(text).toContain('baseline = /tmp/api-before');
  });
});

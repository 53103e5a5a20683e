import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { waitFor } from './infra';
import { freePort } from './reliability/process';

const ROOT = path.join(__dirname, '..', '..');
export const PROMETHEUS_DIR = path.join(ROOT, 'observability', 'prometheus');
const PROMETHEUS_BIN = process.env['PROMETHEUS_BIN'] ?? 'prometheus'; // Debian's: /usr/bin/prometheus

interface ScrapeConfig {
  job_name: string;
  [key: string]: unknown;
}
interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
}

/** Service discovery a job may use in the project's configuration; the test's targets replace it. */
const DISCOVERY = ['static_configs', 'dns_sd_configs', 'kubernetes_sd_configs', 'file_sd_configs'];

/**
 * The project's observability/prometheus/prometheus.yml adapted to loopback: every job keeps its name and
 * settings, its service discovery becomes the given targets, the rule files are the project's, and the
 * intervals are short. A job missing from `targets`, or a target for a job the file does not have, is an
 * error: the test scrapes exactly what production does.
 */
export function localPrometheusConfig(
  targets: Readonly<Record<string, readonly string[]>>,
  intervals: { scrape: string; evaluation: string },
): string {
  const source = parseYaml(
    readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'),
  ) as PrometheusConfig;
  const jobs = source.scrape_configs.map((c) => c.job_name);
  const unknown = Object.keys(targets).filter((j) => !jobs.includes(j));
  const missing = jobs.filter((j) => !(j in targets));
  if (unknown.length + missing.length > 0) {
    throw new Error(
      `targets for jobs ${unknown.join(', ') || '-'} not in prometheus.yml, none for ${missing.join(', ') || '-'}`,
    );
  }
  const config: PrometheusConfig = {
    global: {
      ...source.global,
      scrape_interval: intervals.scrape,
      scrape_timeout: intervals.scrape,
      evaluation_interval: intervals.evaluation,
    },
    rule_files: (source.rule_files ?? []).map((f) => path.resolve(PROMETHEUS_DIR, f)),
    scrape_configs: source.scrape_configs.map((c) => ({
      ...Object.fromEntries(Object.entries(c).filter(([k]) => !DISCOVERY.includes(k))),
      job_name: c.job_name,
      static_configs: [{ targets: [...(targets[c.job_name] ?? [])] }],
    })),
  };
  return toYaml(config);
}

export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value?: readonly [number, string];
  readonly values?: readonly (readonly [number, string])[];
}
export interface PromAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
}
export interface PromTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
  readonly scrapeUrl: string;
}

export interface Prometheus {
  readonly url: string;
  /** GET /api/v1/<endpoint>; fails unless Prometheus answers status "success". */
  api<T>(endpoint: string, params?: Record<string, string>): Promise<T>;
  /** An instant query at now. */
  query(expr: string): Promise<PromSample[]>;
  /** A range query, as Grafana's panels run them. */
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<PromSample[]>;
  targets(): Promise<PromTarget[]>;
  /** Pending and firing alerts. */
  alerts(): Promise<PromAlert[]>;
  /** Prometheus' own log, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus (`prometheus` on the PATH, Debian's package; or PROMETHEUS_BIN) on a free loopback port with
 * `config` and a temporary TSDB, and resolves once it answers /-/ready.
 */
export async function startPrometheus(config: string): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tp-prometheus-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function api<T>(endpoint: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${url}/api/v1/${endpoint}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${endpoint} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'prometheus ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
        const res = await fetch(`${url}/-/ready`);
        return res.status === 200 ? true : undefined;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    api,
    query: async (expr) => (await api<{ result: PromSample[] }>('query', { query: expr })).result,
    queryRange: async (expr, startS, endS, stepS) =>
      (
        await api<{ result: PromSample[] }>('query_range', {
          query: expr,
          start: String(startS),
          end: String(endS),
          step: String(stepS),
        })
      ).result,
    targets: async () => (await api<{ activeTargets: PromTarget[] }>('targets')).activeTargets,
    alerts: async () => (await api<{ alerts: PromAlert[] }>('alerts')).alerts,
    logs: () => log,
    stop,
  };
}

export interface DocumentedMetric {
  readonly service: string;
  readonly name: string;
  readonly type: string;
  readonly labels: readonly string[];
}

/** The metrics table of docs/observability.md: service, name, type and labels of each metric. */
export function documentedMetrics(): DocumentedMetric[] {
  const text = readFileSync(path.join(ROOT, 'docs', 'observability.md'), 'utf8');
  return [...text.matchAll(/^\| (\w+) +\| `(telemetry_\w+)` +\| (\w+) +\| ([^|]*)\|$/gm)].map((m) => ({
    service: m[1] ?? '',
    name: m[2] ?? '',
    type: m[3] ?? '',
    labels: [...(m[4] ?? '').matchAll(/`(\w+)`/g)].map((l) => l[1] ?? ''),
  }));
}

/** Labels Prometheus or the histogram adds to every series; the docs list the service's own. */
const IMPLICIT_LABELS = new Set(['__name__', 'job', 'instance', 'le']);

/**
 * The distinct label sets (names beyond job, instance and le, sorted, comma-joined) of a metric's series
 * scraped since `sinceS`; a histogram is looked up by its `_bucket` series.
 */
export async function labelSetsOf(
  p: Prometheus,
  metric: DocumentedMetric,
  sinceS: number,
): Promise<string[]> {
  const series = await p.api<Record<string, string>[]>('series', {
    'match[]': metric.type === 'histogram' ? `${metric.name}_bucket` : metric.name,
    start: String(sinceS),
  });
  const sets = series.map((x) =>
    Object.keys(x)
      .filter((k) => !IMPLICIT_LABELS.has(k))
      .sort()
      .join(','),
  );
  return [...new Set(sets)];
}

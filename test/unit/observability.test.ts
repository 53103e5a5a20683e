import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createApiMetrics } from '@telemetry-pulse/api';
import { createProcessorMetrics } from '@telemetry-pulse/processor';
import { createSimulatorMetrics } from '@telemetry-pulse/simulator';
import { dashboardSchemaProblems } from '../support/grafana-schema';

/**
 * The Grafana dashboards and Prometheus rules shipped in observability/ name only metrics the services
 * export, and only tables and columns the migrations create: a renamed metric or column fails here, not
 * on a blank panel in production.
 */
const ROOT = path.join(__dirname, '..', '..');
const OBS = path.join(ROOT, 'observability');
const RULES_FILE = path.join(OBS, 'prometheus', 'rules', 'telemetry-pulse.rules.yaml');
const RULES_TESTS_DIR = path.join(OBS, 'prometheus', 'tests');
const RUNBOOK = 'https://github.com/telemetry-pulse/telemetry-pulse/blob/main/docs/alerts.md';

/**
 * Runs promtool, or answers undefined where it is not installed; CI installs it (.ci/run), and there
 * its absence fails the tests instead.
 */
function promtool(
  args: readonly string[],
  cwd?: string,
): { status: number | null; output: string } | undefined {
  const run = spawnSync('promtool', args, { encoding: 'utf8', cwd });
  if (run.error) {
    expect([(run.error as NodeJS.ErrnoException).code, process.env['CI']]).toEqual(['ENOENT', undefined]);
    return undefined;
  }
  return { status: run.status, output: run.stdout + run.stderr };
}

interface Target {
  readonly expr?: string;
  readonly rawSql?: string;
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type: string; uid: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: { list: readonly { name: string; type: string; query?: string }[] };
  readonly panels: readonly Panel[];
}

function dashboard(name: string): Dashboard {
  return JSON.parse(readFileSync(path.join(OBS, 'grafana', 'dashboards', name), 'utf8')) as Dashboard;
}

/** Every metric name the three services register (histograms and summaries as their base name). */
async function exportedMetricNames(): Promise<Set<string>> {
  const registries = [createSimulatorMetrics(), createProcessorMetrics(), createApiMetrics()].map(
    (m) => m.registry,
  );
  const names = new Set<string>();
  for (const r of registries) for (const m of await r.getMetricsAsJSON()) names.add(m.name);
  return names;
}

/** The `telemetry_*` metric names a PromQL expression reads, with _bucket/_sum/_count resolved. */
export function metricsIn(expr: string, known: ReadonlySet<string>): string[] {
  return [...expr.matchAll(/\btelemetry_[a-z0-9_]+/g)].map((m) => {
    const name = m[0];
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return known.has(name) ? name : base;
  });
}

/** Tables and their columns, from the migration files' CREATE TABLE statements. */
function schemaFromMigrations(): Map<string, Set<string>> {
  const dir = path.join(ROOT, 'services', 'shared', 'migrations');
  const tables = new Map<string, Set<string>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    const sql = readFileSync(path.join(dir, file), 'utf8').replace(/--.*$/gm, '');
    for (const m of sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+) \(([\s\S]*?)\n\);/g)) {
      const columns = new Set<string>();
      for (const line of (m[2] ?? '').split('\n')) {
        const col = /^\s+([a-z_][a-z0-9_]*)\s+[a-z]/.exec(line)?.[1];
        if (col && !['primary', 'unique', 'check', 'constraint', 'foreign'].includes(col)) columns.add(col);
      }
      tables.set(m[1] ?? '', columns);
    }
    for (const m of sql.matchAll(/ALTER TABLE (\w+)\s+ADD COLUMN (?:IF NOT EXISTS )?(\w+)/g)) {
      tables.get(m[1] ?? '')?.add(m[2] ?? '');
    }
  }
  return tables;
}

/** SQL words and the Grafana macros the building view may use besides table and column names. */
const SQL_WORDS = new Set(
  (
    'select distinct from where and or not in as order by group having limit over partition row_number ' +
    'count sum max min avg coalesce now interval desc asc is null true false latest w'
  ).split(' '),
);

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe('Grafana dashboards', () => {
  it.each(['pipeline-overview.json', 'building-view.json'])(
    '%s is a dashboard with a uid, schema version and datasource variable',
    (file) => {
      const d = dashboard(file);
      expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(d.title).toBeTruthy();
      expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(d.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
      const ids = allPanels(d.panels).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of allPanels(d.panels).filter((x) => x.type !== 'row')) {
        expect([p.title, p.datasource?.uid]).toEqual([p.title, '${datasource}']);
        expect([p.title, (p.targets ?? []).length > 0]).toEqual([p.title, true]);
      }
    },
  );

  it.each(['pipeline-overview.json', 'building-view.json'])(
    "%s follows Grafana's Dashboard schema (kinds/dashboard, schemaVersion 36 and on)",
    (file) => {
      const d = dashboard(file);
      expect(d.schemaVersion).toBeLessThanOrEqual(39); // the newest version this check was written against
      expect(dashboardSchemaProblems(d)).toEqual([]);
    },
  );

  it('the schema check refuses what Grafana would (so the check above can fail)', () => {
    const d = JSON.parse(JSON.stringify(dashboard('pipeline-overview.json'))) as {
      panels: Record<string, unknown>[];
      graphTooltip: unknown;
      templating: { list: Record<string, unknown>[] };
    };
    const [first] = d.panels;
    if (!first) throw new Error('no panel');
    first['gridPos'] = { h: 4, w: 25, x: 0, y: 0 };
    first['query'] = 'up'; // a target field put on the panel: #Panel is closed
    d.graphTooltip = 3;
    d.templating.list.push({ name: 'x', type: 'select' });
    expect(dashboardSchemaProblems(d)).toEqual([
      '.graphTooltip: must be 0, 1 or 2',
      '.panels[0].query: not in the schema',
      '.panels[0].gridPos.w: must be 1..24',
      `.templating.list[1].type: must be query|adhoc|constant|datasource|interval|textbox|custom|system`,
    ]);
  });

  it('the pipeline overview queries only metrics the services export', async () => {
    const known = await exportedMetricNames();
    const panels = allPanels(dashboard('pipeline-overview.json').panels).filter((p) => p.type !== 'row');
    const missing = panels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => {
        expect(t.expr).toBeTruthy();
        return metricsIn(t.expr ?? '', known)
          .filter((n) => !known.has(n))
          .map((n) => `${p.title}: ${n}`);
      }),
    );
    expect(missing).toEqual([]);
    // Every metric family the issue asks for is on the dashboard.
    const used = new Set(
      panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr ?? '', known))),
    );
    for (const name of [
      'telemetry_simulator_events_produced_total',
      'telemetry_processor_consumer_lag',
      'telemetry_processor_events_dead_lettered_total',
      'telemetry_processor_events_late_total',
      'telemetry_processor_batch_duration_seconds',
      'telemetry_api_requests_total',
    ]) {
      expect(used).toContain(name);
    }
  });

  it('the building view reads only tables and columns the migrations create, filtered by site and zone', () => {
    const schema = schemaFromMigrations();
    expect(schema.get('window_aggregates')).toContain('value_avg');
    const d = dashboard('building-view.json');
    const sqls = [
      ...allPanels(d.panels).flatMap((p) => (p.targets ?? []).map((t) => t.rawSql ?? '')),
      ...d.templating.list.filter((v) => v.type === 'query').map((v) => v.query ?? ''),
    ];
    expect(d.templating.list.map((v) => v.name)).toEqual(
      expect.arrayContaining(['datasource', 'site', 'zone']),
    );
    const columns = new Set([...schema.values()].flatMap((c) => [...c]));
    for (const sql of sqls) {
      expect(sql).not.toBe('');
      const tables = [...sql.matchAll(/\bFROM\s+([a-z_]+)/gi)].map((m) => m[1] ?? '');
      expect(tables.filter((t) => !schema.has(t))).toEqual([]);
      const words = sql
        .replace(/'[^']*'/g, ' ') // string literals
        .replace(/\$__\w+/g, ' ') // Grafana macros
        .replace(/\$\w+/g, ' ') // Grafana variables
        .toLowerCase()
        .match(/[a-z_][a-z0-9_]*/g);
      const aliases = new Set(
        [...sql.matchAll(/\bAS\s+"?([a-z_][a-z0-9_]*)/gi)].map((m) => (m[1] ?? '').toLowerCase()),
      );
      const unknown = (words ?? []).filter(
        (w) => !columns.has(w) && !schema.has(w) && !SQL_WORDS.has(w) && !aliases.has(w),
      );
      expect([sql, unknown]).toEqual([sql, []]);
    }
  });
});

describe('Prometheus rules', () => {
  interface Rule {
    alert?: string;
    expr?: unknown;
    for?: unknown;
    labels?: Record<string, unknown>;
    annotations?: Record<string, unknown>;
  }
  const doc = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups?: { name?: string; rules?: Rule[] }[] };
  const rules = (doc.groups ?? []).flatMap((g) => g.rules ?? []);

  it('has groups of alerts, each with expr, for, a severity and a summary and description', () => {
    expect(doc.groups?.length).toBeGreaterThan(0);
    for (const g of doc.groups ?? []) expect(typeof g.name).toBe('string');
    for (const r of rules) {
      expect([r.alert, typeof r.expr, typeof r.for]).toEqual([r.alert, 'string', 'string']);
      expect(r.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(['info', 'warning', 'critical']).toContain(r.labels?.['severity']);
      expect(typeof r.annotations?.['summary']).toBe('string');
      expect(typeof r.annotations?.['description']).toBe('string');
    }
  });

  it('covers lag, dead letters, processor down, API errors and latency, batch duration', () => {
    const exprs = rules.map((r) => String(r.expr)).join('\n');
    for (const needle of [
      'telemetry_processor_consumer_lag',
      'telemetry_processor_events_dead_lettered_total',
      'up{job="telemetry-processor"}',
      'telemetry_api_requests_total{status=~"5.."}',
      'telemetry_api_request_duration_seconds_bucket',
      'telemetry_processor_batch_duration_seconds_bucket',
    ]) {
      expect(exprs).toContain(needle);
    }
  });

  it('names only exported metrics and scraped jobs', async () => {
    const known = await exportedMetricNames();
    const exprs = rules.map((r) => String(r.expr));
    expect(exprs.flatMap((e) => metricsIn(e, known)).filter((n) => !known.has(n))).toEqual([]);
    const scrape = parseYaml(readFileSync(path.join(OBS, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string }[];
    };
    const jobs = new Set(scrape.scrape_configs.map((c) => c.job_name));
    const referenced = exprs.flatMap((e) => [...e.matchAll(/job="([^"]+)"/g)].map((m) => m[1] ?? ''));
    expect(referenced.filter((j) => !jobs.has(j))).toEqual([]);
  });

  it('passes `promtool check rules` (when promtool is installed; CI installs it)', () => {
    const run = promtool(['check', 'rules', RULES_FILE]);
    if (run) expect([run.status, run.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('links every alert to its runbook section in docs/alerts.md', () => {
    const headings = new Set(
      [...readFileSync(path.join(ROOT, 'docs', 'alerts.md'), 'utf8').matchAll(/^## (\w+)$/gm)].map((m) =>
        (m[1] ?? '').toLowerCase(),
      ),
    );
    for (const r of rules) {
      const url = String(r.annotations?.['runbook_url']);
      expect([r.alert, url]).toEqual([r.alert, `${RUNBOOK}#${String(r.alert).toLowerCase()}`]);
      expect([r.alert, headings.has(String(r.alert).toLowerCase())]).toEqual([r.alert, true]);
    }
    expect(headings.size).toBe(rules.length); // no runbook for an alert that is gone
  });

  describe('`promtool test rules` (observability/prometheus/tests)', () => {
    interface AlertCase {
      alertname: string;
      exp_alerts?: unknown[];
    }
    interface RulesTest {
      rule_files: string[];
      tests: { name: string; alert_rule_test?: AlertCase[] }[];
    }
    const files = readdirSync(RULES_TESTS_DIR).filter((f) => f.endsWith('.test.yaml'));
    const suites = files.map(
      (f) => parseYaml(readFileSync(path.join(RULES_TESTS_DIR, f), 'utf8')) as RulesTest,
    );
    const cases = suites.flatMap((s) => s.tests.flatMap((t) => t.alert_rule_test ?? []));

    it('test every alert both firing and not firing', () => {
      for (const s of suites) {
        expect(s.rule_files.map((f) => path.resolve(RULES_TESTS_DIR, f))).toContain(RULES_FILE);
      }
      for (const r of rules) {
        const mine = cases.filter((c) => c.alertname === r.alert);
        const firing = mine.some((c) => (c.exp_alerts ?? []).length > 0);
        const quiet = mine.some((c) => (c.exp_alerts ?? []).length === 0);
        expect([r.alert, firing, quiet]).toEqual([r.alert, true, true]);
      }
    });

    it('pass (when promtool is installed; CI installs it)', () => {
      const run = promtool(['test', 'rules', ...files], RULES_TESTS_DIR);
      if (run) expect([run.status, run.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    });
  });
});

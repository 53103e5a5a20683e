/**
 * What Grafana sends to Prometheus for a panel: the interval variables of the default selection, worked
 * out as Grafana does (public/app/core/utils/rangeutil and the Prometheus datasource's rate interval).
 */
export interface GrafanaQueryWindow {
  readonly startS: number;
  readonly endS: number;
  /** `$__interval`, which is also the step of the range query, in seconds. */
  readonly stepS: number;
  /** `$__rate_interval`, in seconds. */
  readonly rateIntervalS: number;
}

/** Grafana's roundInterval: the "nice" interval at or above a raw one, in milliseconds. */
export function roundInterval(ms: number): number {
  const steps: readonly [number, number][] = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
  ];
  return steps.find(([below]) => ms < below)?.[1] ?? 86400000;
}

/** `now-1h` → 3600 s; the relative forms the project's dashboards use. */
export function relativeSeconds(from: string): number {
  const m = /^now-(\d+)([smhd])$/.exec(from);
  if (!m) throw new Error(`unsupported dashboard time ${from}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/**
 * The window of a panel with the dashboard's default time range: `$__interval` is the range over the
 * panel's data points (its maxDataPoints, else its width in pixels, ~1000 for a full-width panel is
 * Grafana's usual figure) rounded, and never below the datasource's scrape interval (Grafana's default:
 * 15 s, the provisioned datasource sets none); `$__rate_interval` is max($__interval + scrape interval,
 * 4 × scrape interval).
 */
export function queryWindow(opts: {
  readonly nowS: number;
  readonly from: string;
  readonly maxDataPoints?: number;
  readonly scrapeIntervalS?: number;
}): GrafanaQueryWindow {
  const scrapeS = opts.scrapeIntervalS ?? 15;
  const rangeS = relativeSeconds(opts.from);
  const stepS = Math.max(roundInterval((rangeS * 1000) / (opts.maxDataPoints ?? 1000)) / 1000, scrapeS);
  return {
    startS: opts.nowS - rangeS,
    endS: opts.nowS,
    stepS,
    rateIntervalS: Math.max(stepS + scrapeS, 4 * scrapeS),
  };
}

/** The expression with Grafana's interval variables replaced, as the datasource sends it. */
export function interpolate(expr: string, w: GrafanaQueryWindow): string {
  return expr
    .replaceAll('$__rate_interval', `${w.rateIntervalS}s`)
    .replaceAll('$__interval', `${w.stepS}s`)
    .replaceAll('${__interval}', `${w.stepS}s`)
    .replaceAll('$__range', `${w.endS - w.startS}s`);
}

/** A template variable of a dashboard, the fields Grafana's default selection depends on. */
export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly query?: string;
  readonly includeAll?: boolean;
  readonly current?: { value?: string | string[] };
}

/** A value as Grafana's PostgreSQL datasource interpolates it: each quoted, a multi-value joined by commas. */
const sqlQuoted = (values: readonly string[]): string =>
  values.map((v) => `'${v.replaceAll("'", "''")}'`).join(',');

/**
 * The SQL of a PostgreSQL panel as Grafana sends it for the default selection: `$__timeFilter(col)` over the
 * dashboard's range, each variable at its `current` value, or, with none, its first option ("All" for an
 * includeAll variable: every value its query returns, quoted). Query variables run in order, so one may use
 * those before it (`zone` reads `$site`).
 */
export async function interpolateSql(
  sql: string,
  variables: readonly DashboardVariable[],
  range: { fromMs: number; toMs: number },
  runQuery: (sql: string) => Promise<string[]>,
): Promise<string> {
  const values = new Map<string, string>();
  const fill = (text: string): string => {
    let out = text.replace(
      /\$__timeFilter\((\w+)\)/g,
      (_, col: string) =>
        `${col} BETWEEN '${new Date(range.fromMs).toISOString()}' AND '${new Date(range.toMs).toISOString()}'`,
    );
    // Longest names first, so $site never eats the start of $siteName.
    for (const [name, value] of [...values].sort((a, b) => b[0].length - a[0].length)) {
      out = out.replaceAll(`$${name}`, value);
    }
    return out;
  };
  for (const v of variables) {
    if (v.type === 'datasource') continue;
    const current = v.current?.value;
    if (current !== undefined) {
      values.set(v.name, Array.isArray(current) ? sqlQuoted(current) : current);
    } else if (v.type === 'query') {
      const options = await runQuery(fill(v.query ?? ''));
      values.set(v.name, sqlQuoted(v.includeAll ? options : options.slice(0, 1)));
    } else {
      values.set(v.name, (v.query ?? '').split(',')[0] ?? '');
    }
  }
  return fill(sql);
}

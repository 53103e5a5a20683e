/**
 * The benchmarks' pure arithmetic: durations on the command line, percentiles, medians and the rounds of
 * one measurement combined into one figure. No I/O, so test/unit/scripts/bench-figures.test.ts runs it.
 */

const UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5 } as const;

/** `250ms`, `30s`, `5m`, `1h` in milliseconds. */
export function durationMs(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The value below which `p` % of `sorted` (ascending) lies, nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The middle value; the mean of the two middle ones for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** A whole number with thousands separators: 1234567.8 -> "1,234,568". */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One run's figures; only the numeric ones are combined, and those some round lacks (send lag) are left out. */
export type RunFigures = object;

export type Combined = Record<string, number> & { rounds: number; p99Low: number; p99High: number };

/**
 * One figure per field from several rounds of the same route and server: the median of each (failures
 * added up, the worst max kept), with the lowest and highest p99 kept so the report shows the spread.
 */
export function combineRounds(rounds: readonly RunFigures[]): Combined {
  const fields = rounds.map((r) => r as Readonly<Record<string, unknown>>);
  const p99s = fields.map((r) => (typeof r['p99'] === 'number' ? r['p99'] : NaN));
  const out: Combined = { rounds: rounds.length, p99Low: Math.min(...p99s), p99High: Math.max(...p99s) };
  for (const key of Object.keys(fields[0] ?? {})) {
    const values = fields.map((r) => r[key]);
    if (!values.every((v): v is number => typeof v === 'number')) continue;
    if (key === 'failed') out[key] = values.reduce((a, b) => a + b, 0);
    else if (key === 'max') out[key] = Math.max(...values);
    else out[key] = median(values);
  }
  return out;
}

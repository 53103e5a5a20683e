import { appendFileSync } from 'node:fs';

/** One row of the reliability table: what was injected, how much was sent, what it cost. */
export interface ScenarioRow {
  readonly scenario: string;
  readonly fault: string;
  /** Faults injected (kills, pauses, terminations, …). */
  readonly faults: number;
  /** Messages accepted by Kafka (valid and malformed). */
  readonly events: number;
  readonly lost: number;
  readonly duplicated: number;
  /** From the fault healed (or the last one injected) to every invariant holding; null when it never did. */
  readonly recoverSeconds: number | null;
  readonly result: 'pass' | 'FAIL';
  readonly seed: number;
  readonly notes: string;
}

/** Appends the row, as one JSON line, to $RELIABILITY_REPORT (the runner's table is built from it). */
export function recordRow(row: ScenarioRow): void {
  const file = process.env.RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

const HEAD = [
  'scenario',
  'fault',
  'faults',
  'events',
  'lost',
  'duplicated',
  'recover (s)',
  'result',
  'notes',
];

function cells(r: ScenarioRow): string[] {
  return [
    r.scenario,
    r.fault,
    String(r.faults),
    String(r.events),
    String(r.lost),
    String(r.duplicated),
    r.recoverSeconds === null ? '-' : r.recoverSeconds.toFixed(1),
    r.result,
    r.notes,
  ];
}

/** A Markdown table (readable as plain text too). */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const width = HEAD.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(width[i] ?? 0)).join(' | ')} |`;
  return [
    line(HEAD),
    `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map((r) => line(cells(r))),
  ].join('\n');
}

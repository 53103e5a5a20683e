import { appendFileSync } from 'node:fs';

/** One row of the reliability table a scenario writes: every figure known (scripts/reliability/report.ts). */
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

/** The table, written once for the tests and `npm run test:reliability` (scripts/reliability-report.ts). */
export { formatTable } from '../../../scripts/reliability/report';

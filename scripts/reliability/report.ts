/**
 * The reliability table, written once: the fault tests print it (test/reliability) and `npm run
 * test:reliability` builds it after the suite from the scenarios' rows and jest's --json results
 * (scripts/reliability-report.ts). Pure, for test/unit/scripts/reliability-report.test.ts.
 */

/** One row: what was injected, how much was sent, what it cost ('-' where a test has no such figure). */
export interface ReportRow {
  readonly scenario: string;
  readonly fault: string;
  /** Faults injected (kills, pauses, terminations, …). */
  readonly faults: number | '-';
  /** Messages accepted by Kafka (valid and malformed). */
  readonly events: number | '-';
  readonly lost: number | '-';
  readonly duplicated: number | '-';
  /** From the fault healed (or the last one injected) to every invariant holding; null when it never did. */
  readonly recoverSeconds: number | null;
  readonly result: 'pass' | 'FAIL';
  readonly seed?: number;
  readonly notes: string;
}

/** What the table needs of jest's --json output. */
export interface JestResults {
  readonly testResults: readonly {
    readonly name: string;
    readonly status: string;
    readonly message?: string;
    readonly assertionResults: readonly {
      title: string;
      status: string;
      failureMessages: readonly string[];
    }[];
  }[];
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

function cells(r: ReportRow): string[] {
  return [
    r.scenario,
    r.fault,
    String(r.faults),
    String(r.events),
    String(r.lost),
    String(r.duplicated),
    r.recoverSeconds === null ? '-' : r.recoverSeconds.toFixed(1),
    r.result,
    r.notes.replace(/\|/g, '/'), // a pipe would split the cell
  ];
}

/** A Markdown table, its columns padded so it reads as plain text too. */
export function formatTable(rows: readonly ReportRow[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const width = HEAD.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]): string =>
    `| ${c.map((v, i) => v.padEnd(width[i] ?? 0)).join(' | ')} |`;
  return [
    line(HEAD),
    `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map((r) => line(cells(r))),
  ].join('\n');
}

const firstLine = (text: string | undefined): string => (text ?? '').split('\n').find((l) => l.trim()) ?? '';
const baseName = (file: string): string => (file.split('/').pop() ?? file).replace(/\.test\.ts$/, '');

/**
 * The scenarios' rows, plus one from jest for each test that wrote none (the hostile-input tests, or a
 * scenario that failed before it could report) and for each file that failed without running a test,
 * sorted as the issue numbers them (1, 2a, 2b, …, 10, then the rest). `files` are relative paths.
 */
export function reportRows(
  rows: readonly ReportRow[],
  jest: JestResults,
  relative: (file: string) => string,
): ReportRow[] {
  const out = [...rows];
  // A scenario's row names it "2a. broker paused"; its jest title starts with the same number.
  const reported = new Set(rows.map((r) => r.scenario.split('.')[0]));
  const row = (scenario: string, fault: string, passed: boolean, notes: string): ReportRow => ({
    scenario,
    fault,
    faults: '-',
    events: '-',
    lost: '-',
    duplicated: '-',
    recoverSeconds: null,
    result: passed ? 'pass' : 'FAIL',
    notes,
  });
  for (const file of jest.testResults) {
    const name = relative(file.name);
    // The harness's own tests (the fault proxy, the API probe) are not scenarios.
    if (name.endsWith('fault-proxy.test.ts') || name.endsWith('api-probe.test.ts')) continue;
    const hostile = /hostile/.test(name);
    for (const t of file.assertionResults) {
      if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') continue;
      if (!hostile && reported.has(t.title.split('.')[0])) continue;
      out.push(
        row(
          hostile ? `${baseName(name)}: ${t.title}` : t.title,
          hostile ? 'hostile input' : '-',
          t.status === 'passed',
          firstLine(t.failureMessages[0]).slice(0, 160),
        ),
      );
    }
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      out.push(row(name, '-', false, firstLine(file.message)));
    }
  }
  const rank = (r: ReportRow): number => {
    const m = /^(\d+)([a-z]?)\./.exec(r.scenario);
    return m ? Number(m[1]) * 10 + (m[2] ? m[2].charCodeAt(0) - 96 : 0) : 1e6;
  };
  return out.sort((a, b) => rank(a) - rank(b));
}

/** The report: the table, then how many passed (and the seed, when the run had one). */
export function formatReport(rows: readonly ReportRow[], seed: string | undefined): string {
  const passed = rows.filter((r) => r.result === 'pass').length;
  return `${formatTable(rows)}\n\n${passed} of ${rows.length} passed${seed ? `; seed ${seed}` : ''}\n`;
}

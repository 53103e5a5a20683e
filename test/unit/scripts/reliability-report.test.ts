/**
 * The reliability table (scripts/reliability/report.ts), which the fault tests print and
 * `npm run test:reliability` builds from the scenarios' rows and jest's results: one module since the
 * JavaScript copy in scripts/reliability-report.js was removed (issue 20, item 6).
 */
import {
  formatReport,
  formatTable,
  reportRows,
  type JestResults,
  type ReportRow,
} from '../../../scripts/reliability/report';
import type { ScenarioRow } from '../../support/reliability/report';

const scenario = (name: string, result: 'pass' | 'FAIL' = 'pass'): ScenarioRow => ({
  scenario: name,
  fault: 'kill -9',
  faults: 3,
  events: 12000,
  lost: 0,
  duplicated: 0,
  recoverSeconds: 4.25,
  result,
  seed: 7,
  notes: 'a | b',
});

describe('reliability report', () => {
  it('pads a Markdown table and keeps a pipe in the notes from splitting a cell', () => {
    const lines = formatTable([scenario('1. kill -9')]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('| 4.3 ');
    expect(lines[2]).toContain('| a / b |');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('adds a row for each test without one, and for a file that failed without running, in the issue order', () => {
    const jest: JestResults = {
      testResults: [
        {
          name: '/repo/test/reliability/faults.test.ts',
          status: 'failed',
          assertionResults: [
            { title: '1. kill -9', status: 'passed', failureMessages: [] },
            { title: '2a. broker paused', status: 'failed', failureMessages: ['\ntimed out\n  at x'] },
            { title: '3. skipped one', status: 'pending', failureMessages: [] },
          ],
        },
        {
          name: '/repo/test/reliability/hostile-input.test.ts',
          status: 'passed',
          assertionResults: [{ title: 'refuses a 1 GB message', status: 'passed', failureMessages: [] }],
        },
        { name: '/repo/test/reliability/fault-proxy.test.ts', status: 'passed', assertionResults: [] },
        {
          name: '/repo/test/reliability/soak.test.ts',
          status: 'failed',
          message: 'Cannot find module',
          assertionResults: [],
        },
      ],
    };
    const rows = reportRows([scenario('10. everything'), scenario('1. kill -9')], jest, (f) =>
      f.replace('/repo/', ''),
    );
    expect(rows.map((r: ReportRow) => [r.scenario, r.result, r.notes])).toEqual([
      ['1. kill -9', 'pass', 'a | b'],
      ['2a. broker paused', 'FAIL', 'timed out'],
      ['10. everything', 'pass', 'a | b'],
      ['hostile-input: refuses a 1 GB message', 'pass', ''],
      ['test/reliability/soak.test.ts', 'FAIL', 'Cannot find module'],
    ]);
    expect(formatReport(rows, '42').trimEnd().split('\n').at(-1)).toBe('3 of 5 passed; seed 42');
  });
});

/**
 * Prints the reliability table (Markdown) from the scenarios' rows (JSON lines written by
 * test/support/reliability/report.ts) and jest's --json results; scripts/reliability.sh runs it after the
 * suite. The table itself is scripts/reliability/report.ts, the same the fault tests print.
 *
 *   node scripts/reliability-report.ts ROWS.jsonl JEST.json
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatReport, reportRows, type JestResults, type ReportRow } from './reliability/report.ts';

const USAGE = 'usage: node scripts/reliability-report.ts ROWS.jsonl JEST.json\n';
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    `${USAGE}\nPrints the reliability table (Markdown) from the scenarios' rows and jest's --json results;\nscripts/reliability.sh runs it after the suite.\n`,
  );
  process.exit(0);
}
const [rowsFile, jestFile] = args;
if (!rowsFile || !jestFile) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const read = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const rows = read(rowsFile)
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as ReportRow);
const jestText = read(jestFile);
const jest: JestResults = jestText ? (JSON.parse(jestText) as JestResults) : { testResults: [] };
process.stdout.write(
  formatReport(
    reportRows(rows, jest, (file) => path.relative(process.cwd(), file)),
    process.env['RELIABILITY_SEED'],
  ),
);

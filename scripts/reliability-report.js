#!/usr/bin/env node
// Prints the reliability table (Markdown) from the scenarios' rows (JSON lines written by
// test/support/reliability-report.ts) and jest's --json results: a test with no row of its own (the
// hostile-input tests, or a scenario that failed before it could report) gets one from its jest result.
// Usage: node scripts/reliability-report.js ROWS.jsonl JEST.json
const fs = require('node:fs');
const path = require('node:path');

const USAGE = 'usage: node scripts/reliability-report.js ROWS.jsonl JEST.json\n';
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(
    `${USAGE}\nPrints the reliability table (Markdown) from the scenarios' rows and jest's --json results;\n` +
      'scripts/reliability.sh runs it after the suite.\n',
  );
  process.exit(0);
}
const [rowsFile, jestFile] = process.argv.slice(2);
if (!rowsFile || !jestFile) {
  process.stderr.write(USAGE);
  process.exit(2);
}

const read = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
const rows = read(rowsFile)
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const jest = read(jestFile) ? JSON.parse(read(jestFile)) : { testResults: [] };

// A scenario's row names it "2a. broker paused"; its jest title starts with the same number.
const reported = new Set(rows.map((r) => r.scenario.split('.')[0]));
for (const file of jest.testResults) {
  const name = path.relative(process.cwd(), file.name);
  // The harness's own tests (the fault proxy, the API probe) are not scenarios.
  if (name.endsWith('fault-proxy.test.ts') || name.endsWith('api-probe.test.ts')) continue;
  const hostile = /hostile/.test(name);
  for (const t of file.assertionResults) {
    if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') continue;
    const number = t.title.split('.')[0];
    if (!hostile && reported.has(number)) continue;
    const failure = (t.failureMessages[0] ?? '').split('\n').find((l) => l.trim()) ?? '';
    rows.push({
      scenario: hostile ? `${path.basename(name, '.test.ts')}: ${t.title}` : t.title,
      fault: hostile ? 'hostile input' : '-',
      faults: '-',
      events: '-',
      lost: '-',
      duplicated: '-',
      recoverSeconds: null,
      result: t.status === 'passed' ? 'pass' : 'FAIL',
      notes: failure.slice(0, 160),
    });
  }
  if (file.status === 'failed' && file.assertionResults.length === 0) {
    rows.push({
      scenario: name,
      fault: '-',
      faults: '-',
      events: '-',
      lost: '-',
      duplicated: '-',
      recoverSeconds: null,
      result: 'FAIL',
      notes: (file.message ?? '').split('\n').find((l) => l.trim()) ?? '',
    });
  }
}

// The order: 1, 2a, 2b, …, 10, then the hostile-input tests.
const rank = (r) => {
  const m = /^(\d+)([a-z]?)\./.exec(r.scenario);
  return m ? Number(m[1]) * 10 + (m[2] ? m[2].charCodeAt(0) - 96 : 0) : 1e6;
};
rows.sort((a, b) => rank(a) - rank(b));

const head = [
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
const cells = (r) => [
  r.scenario,
  r.fault,
  String(r.faults),
  String(r.events),
  String(r.lost),
  String(r.duplicated),
  r.recoverSeconds === null || r.recoverSeconds === undefined ? '-' : Number(r.recoverSeconds).toFixed(1),
  r.result,
  String(r.notes ?? '').replace(/\|/g, '/'),
];
const line = (c) => `| ${c.join(' | ')} |`;
const passed = rows.filter((r) => r.result === 'pass').length;
process.stdout.write(
  [
    line(head),
    line(head.map(() => '---')),
    ...rows.map((r) => line(cells(r))),
    '',
    `${passed} of ${rows.length} passed` +
      (process.env.RELIABILITY_SEED ? `; seed ${process.env.RELIABILITY_SEED}` : ''),
    '',
  ].join('\n'),
);

#!/usr/bin/env node
'use strict';
// npm run docs: rewrites the option tables in README.md from the services' option specs (the same
// specs that parse the configuration), between <!-- options:NAME --> and <!-- /options:NAME -->.
// `--check` only reports stale tables (exit 1). test/unit/docs.test.ts runs the same check.
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const README = path.join(__dirname, '..', 'README.md');

/** Every documented option set, by README marker name. */
function tables() {
  const { formatOptionsTable } = require('../services/shared/dist/core');
  return {
    processor: formatOptionsTable(require('../services/processor/dist/index.js').processorOptionSpecs),
    simulator: formatOptionsTable(require('../services/simulator/dist/index.js').simulatorOptionSpecs),
    api: formatOptionsTable(require('../services/api/dist/config').apiOptionSpecs),
    operator: formatOptionsTable(require('../services/operator/dist/config').operatorOptionSpecs),
    ...dlqTables(formatOptionsTable, require('../services/processor/dist/dlq/options')),
  };
}

/** The DLQ tool's three commands, one table each. */
function dlqTables(format, specs) {
  return {
    'dlq-list': format(specs.listOptionSpecs),
    'dlq-inspect': format(specs.inspectOptionSpecs),
    'dlq-replay': format(specs.replayOptionSpecs),
  };
}

function render(readme, blocks) {
  let out = readme;
  for (const [name, table] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- options:${name} -->\\n)[\\s\\S]*?(<!-- /options:${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- options:${name} --> block`);
    out = out.replace(re, `$1${table}\n$2`);
  }
  return out;
}

if (require.main === module) {
  if (process.argv.includes('--help')) {
    console.log('Usage: node scripts/docs.js [--check]   (run `npm run build` first)');
    process.exit(0);
  }
  const readme = readFileSync(README, 'utf8');
  const next = render(readme, tables());
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md option tables are stale: run npm run docs');
      process.exit(1);
    }
  } else if (next !== readme) {
    writeFileSync(README, next);
    console.log('README.md option tables updated');
  }
}

module.exports = { render, dlqTables };

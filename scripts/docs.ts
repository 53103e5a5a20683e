/**
 * npm run docs: rewrites the generated option tables of docs/configuration.md and docs/dlq.md from the
 * services' option specs (the same specs that parse the configuration), between <!-- options:NAME --> and
 * <!-- /options:NAME -->. `--check` only reports stale tables (exit 1). Which table goes where is
 * scripts/docs/tables.ts; test/unit/docs.test.ts runs the same check on the sources.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { formatBlock, optionBlocks, render, type DocumentedOptions, type OptionSets } from './docs/tables.ts';

const ROOT = path.resolve(path.dirname(process.argv[1] ?? 'scripts/docs.ts'), '..');
// The compiled services (CommonJS): `npm run docs` builds them first.
const load = createRequire(path.join(ROOT, 'package.json'));

function optionSets(): OptionSets {
  const shared = load('./services/shared/dist/index.js') as Record<string, DocumentedOptions>;
  const dlq = load('./services/processor/dist/dlq/config/options.js') as Record<string, DocumentedOptions>;
  const specs = (file: string, name: string): DocumentedOptions =>
    (load(file) as Record<string, DocumentedOptions>)[name] ?? {};
  return {
    kafka: shared['kafkaOptionSpecs'] ?? {},
    database: shared['databaseOptionSpecs'] ?? {},
    service: shared['serviceOptionSpecs'] ?? {},
    processor: specs('./services/processor/dist/index.js', 'processorOptionSpecs'),
    api: specs('./services/api/dist/config.js', 'apiOptionSpecs'),
    simulator: specs('./services/simulator/dist/index.js', 'simulatorOptionSpecs'),
    operator: specs('./services/operator/dist/config.js', 'operatorOptionSpecs'),
    dlqCommon: dlq['commonOptionSpecs'] ?? {},
    dlqList: dlq['listOptionSpecs'] ?? {},
    dlqInspect: dlq['inspectOptionSpecs'] ?? {},
    dlqReplay: dlq['replayOptionSpecs'] ?? {},
  };
}

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(
      'Usage: node scripts/docs.ts [--check]   (npm run docs builds first)\n\n' +
        'Rewrites the option tables of docs/configuration.md and docs/dlq.md; --check reports stale ones (exit 1).',
    );
    return 0;
  }
  const { formatOptionsTable } = load('./services/shared/dist/core.js') as {
    formatOptionsTable: (specs: DocumentedOptions) => string;
  };
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, blocks] of Object.entries(optionBlocks(optionSets()))) {
    const full = path.join(ROOT, file);
    const text = readFileSync(full, 'utf8');
    const tables = Object.fromEntries(
      Object.entries(blocks).map(([name, block]) => [name, formatBlock(block, formatOptionsTable)]),
    );
    const next = render(text, tables, file);
    if (next === text) continue;
    stale += 1;
    if (check) {
      console.error(`${file}: option tables are stale: run npm run docs`);
    } else {
      writeFileSync(full, next);
      console.log(`${file}: option tables updated`);
    }
  }
  return check && stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));

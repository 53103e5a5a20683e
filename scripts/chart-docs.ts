/**
 * The values table of the Helm chart, generated from the `# --` comments of charts/telemetry-pulse/values.yaml
 * (scripts/chart-docs/values.ts), written between <!-- values:start --> and <!-- values:end --> in the chart's
 * README.md, the one place it is written (docs/deploy/helm.md links to it).
 *
 *   node scripts/chart-docs.ts           rewrite the table
 *   node scripts/chart-docs.ts --check   exit 1 when a table is stale or a value is undocumented
 *
 * test/delivery/chart-docs.test.ts runs the check. The chart README is formatted by prettier like every
 * other markdown file, so the check compares against prettier's output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { replaceBlock, table, valuesDoc } from './chart-docs/values.ts';

const ROOT = path.resolve(path.dirname(process.argv[1] ?? 'scripts/chart-docs.ts'), '..');
const CHART = path.join(ROOT, 'charts', 'telemetry-pulse');
const VALUES = path.join(CHART, 'values.yaml');
const CHART_README = path.join(CHART, 'README.md');

/** The chart README as it should be. */
async function render(): Promise<{ undocumented: string[]; files: [string, string][] }> {
  const { rows, undocumented } = valuesDoc(readFileSync(VALUES, 'utf8'));
  const md = table(rows);
  const options = { ...(await prettier.resolveConfig(CHART_README)), filepath: CHART_README };
  const chart = await prettier.format(
    replaceBlock(readFileSync(CHART_README, 'utf8'), 'values', md, path.relative(ROOT, CHART_README)),
    options,
  );
  return { undocumented, files: [[CHART_README, chart]] };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log('Usage: node scripts/chart-docs.ts [--check]');
    return 0;
  }
  const { undocumented, files } = await render();
  if (undocumented.length > 0) {
    console.error(`values.yaml: no "# --" comment above ${undocumented.join(', ')}`);
    return 1;
  }
  const stale = files.filter(([file, next]) => readFileSync(file, 'utf8') !== next);
  if (argv.includes('--check')) {
    for (const [file] of stale)
      console.error(
        `${path.relative(ROOT, file)}: the chart values table is stale: run node scripts/chart-docs.ts`,
      );
    return stale.length > 0 ? 1 : 0;
  }
  for (const [file, next] of stale) {
    writeFileSync(file, next);
    console.log(`${path.relative(ROOT, file)} updated`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chart-docs: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

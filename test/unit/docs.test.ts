import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatOptionsTable } from '@telemetry-pulse/shared/core';
import { processorOptionSpecs } from '@telemetry-pulse/processor';
import { simulatorOptionSpecs } from '@telemetry-pulse/simulator';
import { apiOptionSpecs } from '@telemetry-pulse/api';
import { operatorOptionSpecs } from '@telemetry-pulse/operator';
import * as dlqOptions from '../../services/processor/src/dlq/options';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { render, dlqTables } = require('../../scripts/docs.js') as {
  render: (readme: string, blocks: Record<string, string>) => string;
  dlqTables: (format: typeof formatOptionsTable, specs: typeof dlqOptions) => Record<string, string>;
};

describe('README', () => {
  it('documents every option with the defaults the code applies (run `npm run docs` when this fails)', () => {
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const expected = render(readme, {
      processor: formatOptionsTable(processorOptionSpecs),
      simulator: formatOptionsTable(simulatorOptionSpecs),
      api: formatOptionsTable(apiOptionSpecs),
      operator: formatOptionsTable(operatorOptionSpecs),
      ...dlqTables(formatOptionsTable, dlqOptions),
    });
    expect(readme).toBe(expected);
  });
});

describe('docs/dependencies.md', () => {
  const root = path.join(__dirname, '..', '..');
  const services = ['shared', 'simulator', 'processor', 'api', 'operator'];
  /** Every runtime dependency of the workspaces, with the range it is declared with. */
  const declared = new Map<string, string>();
  for (const service of services) {
    const manifest = JSON.parse(
      readFileSync(path.join(root, 'services', service, 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    for (const [name, range] of Object.entries(manifest.dependencies ?? {}))
      if (!name.startsWith('@telemetry-pulse/')) declared.set(name, range);
  }
  const rows = new Map(
    [
      ...readFileSync(path.join(root, 'docs', 'dependencies.md'), 'utf8').matchAll(
        /^\| `([^`]+)` +\| `([^`]+)` /gm,
      ),
    ].map((m) => [m[1] ?? '', m[2] ?? ''] as const),
  );

  it('has one row per runtime dependency, with the range package.json declares', () => {
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(declared));
  });
});

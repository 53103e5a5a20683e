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

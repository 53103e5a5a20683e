import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The DLQ tool's logic (filtering, header rewriting, the loop guard, formatting, the commands) runs without
 * a broker: only the adapters and the composition import kafkajs or the shared root entry (which loads
 * kafkajs and pg). Type-only imports are erased at compile time and allowed everywhere.
 */
const DIR = path.join(__dirname, '..', '..', '..', 'services', 'processor', 'src', 'dlq');
const ADAPTERS = new Set([
  'kafka-source.ts',
  'kafka-read.ts',
  'kafka-record.ts',
  'commands.ts',
  'config.ts',
  'options.ts',
  'help.ts',
]);
const FORBIDDEN = [
  /^kafkajs$/,
  /^pg$/,
  /^@telemetry-pulse\/shared$/,
  /^(node:)?(fs|fs\/promises|net|http|https|child_process|tls)$/,
];

function valueImports(source: string): string[] {
  return [...source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)]
    .filter((m) => m[1] === undefined)
    .map((m) => m[2] ?? '');
}

describe('DLQ tool layering', () => {
  const pure = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !ADAPTERS.has(f));

  it('finds the pure modules', () => {
    expect(pure).toEqual(
      expect.arrayContaining(['filter.ts', 'replay.ts', 'format.ts', 'replay-command.ts']),
    );
  });

  it.each(pure)('%s imports no client library, I/O module or the shared root entry', (file) => {
    const bad = valueImports(readFileSync(path.join(DIR, file), 'utf8')).filter((spec) =>
      FORBIDDEN.some((re) => re.test(spec)),
    );
    expect(bad).toEqual([]);
  });

  it('sees through a value import (the check itself works)', () => {
    expect(valueImports("import { Kafka } from 'kafkajs';\nimport type { Admin } from 'kafkajs';")).toEqual([
      'kafkajs',
    ]);
  });
});

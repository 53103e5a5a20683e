import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The pure domain core of every service imports no client library and does no I/O (STYLE.md §4):
 * kafkajs could be swapped, and the core is tested without servers.
 */
const ROOT = path.join(__dirname, '..', '..');
const FORBIDDEN = [
  /^kafkajs$/,
  /^pg$/,
  /^koa/,
  /^prom-client$/,
  /^@opentelemetry\//,
  /^@kubernetes\//,
  /^@telemetry-pulse\/shared$/, // the root entry loads kafkajs and pg; use @telemetry-pulse/shared/core
  /^(node:)?(fs|fs\/promises|net|http|https|child_process|dgram|tls)$/,
];

function domainFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) out.push(full);
    }
  };
  for (const service of readdirSync(path.join(ROOT, 'services'))) {
    const domain = path.join(ROOT, 'services', service, 'src', 'domain');
    try {
      if (statSync(domain).isDirectory()) walk(domain);
    } catch {
      // service without a domain folder
    }
  }
  return out;
}

describe('architecture', () => {
  const files = domainFiles();

  it('finds the domain cores', () => {
    expect(files.some((f) => f.includes(`processor${path.sep}src${path.sep}domain`))).toBe(true);
  });

  it.each(files.map((f) => [path.relative(ROOT, f), f]))(
    '%s imports no I/O or client library',
    (_rel, file) => {
      const source = readFileSync(file, 'utf8');
      const imports = [...source.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map(
        (m) => m[1] ?? '',
      );
      const bad = imports.filter((spec) => FORBIDDEN.some((re) => re.test(spec)));
      expect(bad).toEqual([]);
    },
  );
});

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The pure domain core of every service imports no client library and does no I/O (STYLE.md §4):
 * kafkajs could be swapped, and the core is tested without servers. Imports run one way (STYLE.md §14):
 * entry points (main, app, compose, index, CLIs) -> adapters and the service's other modules -> domain ->
 * contract, never back, and no files import each other, directly or round a longer loop.
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

/** Every file of a `domain/` folder, the services' own and nested ones (the DLQ tool's). */
function domainFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string, inDomain: boolean): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full, inDomain || name === 'domain');
      else if (inDomain && name.endsWith('.ts')) out.push(full);
    }
  };
  for (const service of readdirSync(path.join(ROOT, 'services'))) {
    const src = path.join(ROOT, 'services', service, 'src');
    if (existsSync(src)) walk(src, false);
  }
  return out;
}

describe('architecture', () => {
  const files = domainFiles();

  it("finds the domain cores, the DLQ tool's included", () => {
    expect(files.some((f) => f.includes(`processor${path.sep}src${path.sep}domain`))).toBe(true);
    expect(files.some((f) => f.includes(`dlq${path.sep}domain${path.sep}replay.ts`))).toBe(true);
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

/** Every .ts file under a folder. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative imports of a source file (type-only ones included: they tie the files just the same). */
function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom|\bimport\(?|\brequire\()\s*['"](\.{1,2}\/[^'"]*|\.)['"]/g)].map(
    (m) => m[1] ?? '',
  );
}

/** A service's import graph: file (relative to src/, posix) -> the files it imports. */
function importGraph(src: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(src)) {
    const deps = relativeImports(readFileSync(file, 'utf8')).map((spec) => {
      const base = path.resolve(path.dirname(file), spec);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => existsSync(c)) ?? base;
      return path.relative(src, target).split(path.sep).join('/');
    });
    graph.set(path.relative(src, file).split(path.sep).join('/'), deps);
  }
  return graph;
}

/**
 * The layer of a file, lowest first: the API's wire contract, the pure domain (a service's, or a tool's
 * inside it such as dlq/domain), the adapters and the service's other modules (dlq/{config,commands,
 * adapters} among them), the entry points that compose them (dlq/cli).
 */
export function layerOf(file: string): number {
  if (file.startsWith('contract/')) return 0;
  if (file.startsWith('domain/') || file.includes('/domain/')) return 1;
  if (/^(main|service|app|compose|index|hash-key|[a-z-]+-cli)\.ts$/.test(file)) return 3;
  if (file.includes('/cli/')) return 3; // a tool's command line: its composition root
  return 2;
}

/** Imports that point to a higher layer, as "from -> to". */
export function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  return [...graph].flatMap(([from, deps]) =>
    deps.filter((to) => layerOf(to) > layerOf(from)).map((to) => `${from} -> ${to}`),
  );
}

/** The import cycles of a graph (its strongly connected components of two files or more), each sorted. */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = stack.splice(stack.indexOf(v));
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('imports run one way', () => {
  const services = readdirSync(path.join(ROOT, 'services')).filter((s) =>
    existsSync(path.join(ROOT, 'services', s, 'src')),
  );

  it('finds every service', () => {
    expect(services).toEqual(expect.arrayContaining(['shared', 'simulator', 'processor', 'api', 'operator']));
  });

  it.each(services)('%s: no import from a lower layer to a higher one, and no cycle', (service) => {
    const graph = importGraph(path.join(ROOT, 'services', service, 'src'));
    expect(graph.size).toBeGreaterThan(5);
    expect({ upward: upwardImports(graph), cycles: importCycles(graph) }).toEqual({ upward: [], cycles: [] });
  });

  it('keeps the DLQ tool in the house layout: every file in cli, config, commands, domain or adapters', () => {
    const dlq = path.join(ROOT, 'services', 'processor', 'src', 'dlq');
    const folders = new Set(tsFiles(dlq).map((f) => path.relative(dlq, f).split(path.sep)[0]));
    expect([...folders].sort()).toEqual(['adapters', 'cli', 'commands', 'config', 'domain']);
  });

  it('sees an upward import and a cycle when there is one (the checks work)', () => {
    const graph = new Map([
      ['app.ts', ['adapters/http/routes.ts', 'domain/stores.ts']],
      ['adapters/http/routes.ts', ['app.ts', 'contract/aggregates.ts']],
      ['contract/aggregates.ts', ['domain/buckets.ts']],
      ['domain/buckets.ts', ['contract/aggregates.ts']],
      ['domain/stores.ts', []],
    ]);
    expect(upwardImports(graph)).toEqual([
      'adapters/http/routes.ts -> app.ts',
      'contract/aggregates.ts -> domain/buckets.ts',
    ]);
    expect(importCycles(graph)).toEqual([
      ['contract/aggregates.ts', 'domain/buckets.ts'],
      ['adapters/http/routes.ts', 'app.ts'],
    ]);
    expect(relativeImports("import type { A } from '../app';\nexport * from './x';\nimport('.')")).toEqual([
      '../app',
      './x',
      '.',
    ]);
  });
});

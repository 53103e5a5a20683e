import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  databaseOptionSpecs,
  formatOptionsTable,
  kafkaOptionSpecs,
  serviceOptionSpecs,
} from '@telemetry-pulse/shared';
import { processorOptionSpecs } from '@telemetry-pulse/processor';
import { simulatorOptionSpecs } from '@telemetry-pulse/simulator';
import { apiOptionSpecs } from '@telemetry-pulse/api';
import { operatorOptionSpecs } from '@telemetry-pulse/operator';
import * as dlqOptions from '../../services/processor/src/dlq/config/options';
import {
  formatBlock,
  optionBlocks,
  ownOptions,
  render,
  type DocumentedOptions,
  type OptionSets,
} from '../../scripts/docs/tables';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

const sets: OptionSets = {
  kafka: kafkaOptionSpecs,
  database: databaseOptionSpecs,
  service: serviceOptionSpecs,
  processor: processorOptionSpecs,
  api: apiOptionSpecs,
  simulator: simulatorOptionSpecs,
  operator: operatorOptionSpecs,
  dlqCommon: dlqOptions.commonOptionSpecs,
  dlqList: dlqOptions.listOptionSpecs,
  dlqInspect: dlqOptions.inspectOptionSpecs,
  dlqReplay: dlqOptions.replayOptionSpecs,
};

describe('option tables (run `npm run docs` when this fails)', () => {
  const blocks = optionBlocks(sets);

  it.each(Object.keys(blocks))('%s documents its options with the defaults the code applies', (file) => {
    const text = read(file);
    const tables = Object.fromEntries(
      Object.entries(blocks[file] ?? {}).map(([name, b]) => [name, formatBlock(b, formatOptionsTable)]),
    );
    expect(text).toBe(render(text, tables, file));
  });

  it('documents every variable and flag of every service and command somewhere', () => {
    const docs = Object.keys(blocks).map(read).join('\n');
    for (const spec of (Object.values(sets) as DocumentedOptions[]).flatMap((s) => Object.values(s))) {
      if (spec.env) expect(docs).toContain(`| \`${spec.env}\` |`);
      if (spec.flag) expect(docs).toContain(`| \`--${spec.flag}\` |`);
    }
  });

  it('lists a shared option once, and again only where a service takes it differently', () => {
    const shared = [{ title: 'Kafka', link: '#kafka', options: kafkaOptionSpecs }];
    const own = ownOptions(
      {
        brokers: { ...kafkaOptionSpecs.brokers, flag: 'brokers' },
        clientId: kafkaOptionSpecs.clientId,
        rate: { env: 'SIM_RATE', help: 'Events per second.' },
      },
      shared,
    );
    expect(Object.keys(own.options)).toEqual(['brokers', 'rate']);
    expect(own.alsoReads.map((s) => s.title)).toEqual(['Kafka']);
    expect(ownOptions({ rate: { env: 'SIM_RATE', help: '' } }, shared).alsoReads).toEqual([]);
  });

  it('writes a table verbatim, whatever it holds ($ included)', () => {
    const text = 'a\n<!-- options:x -->\nold\n<!-- /options:x -->\nb';
    expect(render(text, { x: "cost $1 and $'" }, 'f.md')).toBe(
      "a\n<!-- options:x -->\ncost $1 and $'\n<!-- /options:x -->\nb",
    );
    expect(() => render('no markers', { x: '' }, 'f.md')).toThrow('f.md has no <!-- options:x --> block');
  });
});

/** Every markdown file of the docs folder, relative to the repository root. */
function docFiles(dir = 'docs'): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? docFiles(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : [],
  );
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** Anchors of a markdown file: its headings' slugs (repeats numbered as GitHub does). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug((m[1] ?? '').replace(/`/g, ''));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links of a markdown file that lead nowhere: a missing file or a heading it does not have. */
function brokenLinks(file: string): string[] {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1] ?? '';
    if (/^(https?:|mailto:)/.test(target)) continue;
    const [rel = '', anchor] = target.split('#');
    const linked = rel === '' ? file : path.posix.join(path.posix.dirname(file), rel);
    if (!existsSync(path.join(ROOT, linked))) broken.push(target);
    else if (anchor && linked.endsWith('.md') && !anchors(read(linked)).has(anchor)) broken.push(target);
  }
  return broken;
}

describe('README', () => {
  const readme = read('README.md');

  it('fits on a screen or two (at most 250 lines) and starts with the two commands', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm start /m);
    expect(firstBlock).toMatch(/^npm test /m);
  });

  it('links every page of docs/', () => {
    const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]));
    expect(docFiles().filter((f) => !linked.has(f))).toEqual([]);
  });

  it.each(['README.md', ...docFiles()])(
    '%s: every relative link leads to a file and heading that exist',
    (file) => {
      expect(brokenLinks(file)).toEqual([]);
    },
  );

  it('the link check finds a missing file and a missing heading', () => {
    expect(anchors('# A title\n## Kafka, `TLS` & SASL\n## A title')).toEqual(
      new Set(['a-title', 'kafka-tls--sasl', 'a-title-1']),
    );
    expect(slug('How the processor keeps every reading exactly once')).toBe(
      'how-the-processor-keeps-every-reading-exactly-once',
    );
  });
});

describe('docs/dependencies.md', () => {
  const root = ROOT;
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

/**
 * The chart's documentation is complete and works: every value is commented and in the schema, the values
 * tables are generated from values.yaml, and the READMEs' commands and examples render valid objects when
 * followed as a new user would (install commands run as `helm template`, example values rendered).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { valuesDoc } from '../../scripts/chart-docs/values';
import {
  CHART_DIR,
  DEFAULT_KUBE_VERSION,
  formatProblems,
  helm,
  helmTemplate,
  parseManifests,
  podsOf,
  REPO_ROOT,
  validateManifests,
  type KubeObject,
} from '../support/kube';

const valuesText = readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8');
const chartReadme = readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
const helmDoc = readFileSync(path.join(REPO_ROOT, 'docs', 'deploy', 'helm.md'), 'utf8');

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  $ref?: string;
}

interface SchemaPaths {
  /** Every key path the schema names. */
  known: Set<string>;
  /** Paths whose keys the schema closes (additionalProperties: false): values below them are checked too. */
  closed: Set<string>;
  /** Paths values.yaml must have: named in the chart's own schema, not in a shared definition. */
  expected: Set<string>;
}

function schemaPaths(schema: SchemaNode & { definitions: Record<string, SchemaNode> }): SchemaPaths {
  const out: SchemaPaths = { known: new Set(), closed: new Set(), expected: new Set() };
  const walk = (node: SchemaNode, prefix: string, shared: boolean): void => {
    const target = node.$ref ? schema.definitions[node.$ref.replace('#/definitions/', '')] : node;
    if (!target?.properties || target.additionalProperties !== false) return;
    if (prefix) out.closed.add(prefix.slice(0, -1));
    for (const [k, child] of Object.entries(target.properties)) {
      out.known.add(`${prefix}${k}`);
      if (!shared && !node.$ref) out.expected.add(`${prefix}${k}`);
      walk(child, `${prefix}${k}.`, shared || Boolean(node.$ref));
    }
  };
  walk(schema, '', false);
  out.expected.delete('global'); // Helm's own
  return out;
}

/** Key paths of values.yaml, down into the maps the schema closes. */
function valuePaths(value: unknown, closed: Set<string>, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const key = `${prefix}${k}`;
    return [key, ...(closed.has(key) ? valuePaths(v, closed, `${key}.`) : [])];
  });
}

/** Shell commands of the ```sh blocks, continuation lines joined, comments dropped. */
function shellCommands(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] ?? '')
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
}

describe('chart documentation', () => {
  it('comments every value (a "# --" line above it, or above the map holding it)', () => {
    const { rows, undocumented } = valuesDoc(valuesText);
    expect(undocumented).toEqual([]);
    expect(rows.length).toBeGreaterThan(100);
  });

  it('has the generated values table in the chart README, where docs/deploy/helm.md points (node scripts/chart-docs.ts)', () => {
    const check = spawnSync(
      process.execPath,
      [
        '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
        path.join(REPO_ROOT, 'scripts/chart-docs.ts'),
        '--check',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    for (const key of [
      'autoscaling.mode',
      'kafka.topic.partitions',
      'database.existingSecret',
      'operator.watchNamespace',
    ]) {
      expect(chartReadme).toContain(`| \`${key}\``);
    }
    expect(helmDoc).toContain('](../../charts/telemetry-pulse/README.md#values)');
  });

  it('keeps values.yaml and values.schema.json in step: every value has a schema entry and back', () => {
    const schema = JSON.parse(
      readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8'),
    ) as SchemaNode & {
      definitions: Record<string, SchemaNode>;
    };
    const paths = schemaPaths(schema);
    const values = valuePaths(parseYaml(valuesText), paths.closed);
    expect(values.filter((p) => !paths.known.has(p))).toEqual([]);
    expect([...paths.expected].filter((p) => !values.includes(p))).toEqual([]);
  });
});

describe('the READMEs, followed as a new user would', () => {
  const readmes = { 'chart README': chartReadme, 'docs/deploy/helm.md': helmDoc };

  it.each(Object.entries(readmes))(
    '%s: its helm install commands render valid objects that use the Secrets it creates',
    async (_name, text) => {
      const commands = shellCommands(text);
      const installs = commands.filter((c) => c.startsWith('helm install '));
      expect(installs.length).toBeGreaterThan(0);
      const secrets = new Map<string, string[]>();
      for (const c of commands) {
        const m = /create secret generic (\S+) (.*)$/.exec(c);
        if (m?.[1])
          secrets.set(
            m[1],
            [...(m[2] ?? '').matchAll(/--from-literal=([\w.-]+)=/g)].map((k) => k[1] ?? ''),
          );
      }
      for (const install of installs) {
        // The same arguments to `helm template` (no cluster here); quotes never appear in them.
        const args = install.split(/\s+/).slice(1);
        args[0] = 'template';
        const yaml = await helm([...args, '--kube-version', DEFAULT_KUBE_VERSION]);
        const report = await validateManifests(yaml);
        expect(formatProblems(report)).toBe('');
        const objects = parseManifests(yaml);
        for (const ref of secretRefs(objects)) {
          // Optional Secrets (API keys) may be left out; the ones referenced must be those the README creates.
          expect({ ref, keys: secrets.get(ref.name) }).toEqual({
            ref,
            keys: expect.arrayContaining([ref.key]),
          });
        }
        for (const c of commands.filter((x) => x.includes('port-forward svc/'))) {
          const [, service, port] = /svc\/(\S+) \d+:(\d+)/.exec(c) ?? [];
          const found = objects.find((o) => o.kind === 'Service' && o.metadata.name === service);
          expect(
            (found?.['spec'] as { ports: { port: number }[] } | undefined)?.ports.map((p) => String(p.port)),
          ).toContain(port);
        }
      }
    },
  );

  it('chart README: every example values file renders valid objects', async () => {
    const examples = [...chartReadme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const values = parseYaml(example) as Record<string, unknown>;
      const keda = (values['autoscaling'] as { mode?: string } | undefined)?.mode === 'keda';
      const { yaml, objects } = await helmTemplate({ values, apiVersions: keda ? ['keda.sh/v1alpha1'] : [] });
      expect(formatProblems(await validateManifests(yaml))).toBe('');
      expect(objects.some((o) => o.kind === 'Deployment')).toBe(true);
    }
  });
});

function secretRefs(objects: readonly KubeObject[]): { name: string; key: string }[] {
  return podsOf(objects).flatMap((p) =>
    p.spec.containers.flatMap((c) =>
      (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [])),
    ),
  );
}

import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { desiredObjects } from '../../../services/operator/src/domain/desired';
import { parseSpec } from '../../../services/operator/src/domain/spec';
import { formatProblems, parseManifests, validateManifests, type KubeObject } from '../../support/kube';
import { MINIMAL_SPEC, present, specOf } from './fixtures';

const ROOT = path.join(__dirname, '..', '..', '..');
const CRD_FILE = path.join(
  ROOT,
  'charts',
  'telemetry-pulse',
  'crds',
  'telemetrypipelines.telemetrypulse.io.yaml',
);
const crd = YAML.parse(readFileSync(CRD_FILE, 'utf8')) as {
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
};
const read = (f: string): KubeObject[] =>
  parseManifests(readFileSync(path.join(ROOT, 'k8s', 'operator', f), 'utf8'));

type Schema = { default?: unknown; properties?: Record<string, Schema> };

/** The defaults the CRD declares, as the object the API server would fill in for `{}`. */
function crdDefaults(schema: Schema): unknown {
  if (!schema.properties) return schema.default;
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(schema.properties)) {
    if (s.default === undefined) continue;
    out[k] = s.properties ? { ...(crdDefaults(s) as object), ...(s.default as object) } : s.default;
  }
  return out;
}

/** Strict validation with kubeconform (scripts/tools.sh) against ../shared/k8s-schemas. */
describe('operator manifests', () => {
  it('the CRD is a valid apiextensions.k8s.io/v1 CustomResourceDefinition', async () => {
    const report = await validateManifests(readFileSync(CRD_FILE, 'utf8'));
    expect(formatProblems(report)).toBe('');
    expect(report.resources).toBe(1);
  });

  it('k8s/operator/crd.yaml is the chart CRD itself, not a copy', () => {
    const link = path.join(ROOT, 'k8s', 'operator', 'crd.yaml');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(CRD_FILE));
  });

  it('the example TelemetryPipeline validates against the CRD schema and the operator reads it', async () => {
    const example = read('example-pipeline.yaml');
    const report = await validateManifests(example, { crds: [CRD_FILE] });
    expect(formatProblems(report)).toBe('');
    expect(report.resources).toBe(1);
    expect(parseSpec(present(example[0]).spec).ok).toBe(true);
  });

  it('the CRD schema refuses what the operator refuses', async () => {
    const bad = { ...present(read('example-pipeline.yaml')[0]) };
    bad.spec = { ...MINIMAL_SPEC, kafka: { brokers: 'kafka:9092' }, processor: { autoscaler: 'hpa' } };
    const report = await validateManifests(bad, { crds: [CRD_FILE] });
    expect(report.valid).toBe(false);
    expect(parseSpec(bad.spec).ok).toBe(false);
  });

  it('declares the same defaults as the operator applies', () => {
    const specSchema = present(present(crd.spec.versions[0]).schema.openAPIV3Schema.properties?.['spec']);
    expect(specOf(MINIMAL_SPEC)).toEqual({
      ...MINIMAL_SPEC,
      ...(crdDefaults(specSchema) as object),
      kafka: { ...MINIMAL_SPEC.kafka, saslMechanism: 'none', tls: 'auto' },
    });
  });

  it('the RBAC manifests are valid', async () => {
    const report = await validateManifests(read('rbac.yaml'));
    expect(formatProblems(report)).toBe('');
    expect(report.resources).toBe(5);
  });

  it.each([
    ['defaults', MINIMAL_SPEC],
    [
      'everything on',
      {
        ...MINIMAL_SPEC,
        simulator: { enabled: true },
        processor: { autoscaler: 'keda', resources: { requests: { cpu: '250m', memory: '256Mi' } } },
        api: { service: { type: 'LoadBalancer', port: 80 }, resources: { limits: { memory: '256Mi' } } },
        alertRules: [{ kind: 'silence', id: 'quiet', silentMs: 60000 }],
        notifications: {
          config: {
            channels: [{ name: 'hook', type: 'webhook', url: 'http://h/x', secret_env: 'HOOK_SECRET' }],
          },
          secretEnv: { HOOK_SECRET: { name: 'notify', key: 'hook' } },
        },
      },
    ],
    [
      'Kafka over mTLS',
      {
        ...MINIMAL_SPEC,
        kafka: {
          ...MINIMAL_SPEC.kafka,
          caFrom: { name: 'cluster-ca-cert', key: 'ca.crt' },
          certFrom: { name: 'user', key: 'user.crt' },
          keyFrom: { name: 'user', key: 'user.key' },
        },
      },
    ],
  ])(
    'every object the operator applies (%s) is valid against the Kubernetes and KEDA schemas',
    async (_what, raw) => {
      const objects = desiredObjects({ name: 'lobby', namespace: 'buildings', uid: 'u-1' }, specOf(raw), 2);
      const report = await validateManifests(objects as unknown as KubeObject[]);
      expect(formatProblems(report)).toBe('');
      expect(report.resources).toBe(objects.length);
    },
  );
});

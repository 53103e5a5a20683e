/**
 * The validation harness itself (test/support/kube.ts): strict means strict. Every chart and manifest test
 * relies on these negative cases still failing.
 */
import {
  formatProblems,
  k8sSchemasDir,
  parseManifests,
  validateManifests,
  type KubeObject,
  type ValidationReport,
} from '../support/kube';

const deployment = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'example/web:1',
            ports: [{ name: 'http', containerPort: 8080 }],
            resources: { requests: { cpu: '100m', memory: 64 * 1024 * 1024 }, limits: { cpu: 1 } },
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
          },
        ],
      },
    },
    ...spec,
  },
});

const pipelineCrd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: { type: integer, minimum: 1 }
                port: { x-kubernetes-int-or-string: true }
                extra: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

function messages(report: ValidationReport): string {
  return formatProblems(report);
}

describe('validateManifests (kubeconform, strict schemas)', () => {
  it('accepts a correct Deployment, with integers and strings where Kubernetes takes either', async () => {
    const report = await validateManifests(deployment({ replicas: 2 }));
    expect(messages(report)).toBe('');
    expect(report).toMatchObject({ resources: 1, valid: true });
  });

  it('rejects a misspelled field (spec.replica)', async () => {
    const report = await validateManifests(deployment({ replica: 2 }));
    expect(report.valid).toBe(false);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ resource: 'Deployment/web (apps/v1)', path: '/spec' }),
    );
    expect(messages(report)).toMatch(/additional properties 'replica' not allowed/);
  });

  it('rejects unknown fields deep inside the pod template and in metadata', async () => {
    const d = deployment({});
    const pod = (d['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template
      .spec;
    pod.containers[0] = {
      ...pod.containers[0],
      securityContext: { runAsNonRoot: true, readOnlyRootFs: true },
    };
    d.metadata['label'] = { app: 'web' };
    const report = await validateManifests(d);
    expect(messages(report)).toMatch(/securityContext.*'readOnlyRootFs'/);
    expect(messages(report)).toMatch(/\/metadata: additional properties 'label'/);
  });

  it('rejects wrong types, duplicate keys and YAML 1.1 booleans where strings are due', async () => {
    const wrongType = await validateManifests(deployment({ replicas: 'two' }));
    expect(messages(wrongType)).toMatch(/\/spec\/replicas/);
    const duplicate = await validateManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata: {}\n',
    );
    expect(duplicate.valid).toBe(false);
    const yesLabel = await validateManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    enabled: yes\n',
    );
    expect(messages(yesLabel)).toMatch(/labels\/enabled/);
  });

  it('rejects a kind that has no schema instead of skipping it', async () => {
    const report = await validateManifests({
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g' },
    });
    expect(report.valid).toBe(false);
    expect(messages(report)).toMatch(/could not find schema for Gadget/);
  });

  it('checks catalogue CRD objects (ServiceMonitor, ScaledObject) strictly, metadata included', async () => {
    const good: KubeObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'sm', labels: { release: 'prometheus' } },
      spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http', path: '/metrics' }] },
    };
    expect(messages(await validateManifests(good))).toBe('');
    const bad = await validateManifests([
      { ...good, spec: { ...(good['spec'] as object), endpoint: [] } },
      { ...good, metadata: { ...good.metadata, labelz: {} } },
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'so' },
        spec: {
          scaleTargetRef: { name: 'web' },
          triggers: [{ type: 'kafka', metadata: {} }],
          maxReplicas: 3,
        },
      },
    ]);
    const text = messages(bad);
    expect(text).toMatch(/ServiceMonitor\/sm .*\/spec: additional properties 'endpoint'/);
    expect(text).toMatch(/ServiceMonitor\/sm .*\/metadata: additional properties 'labelz'/);
    expect(text).toMatch(/ScaledObject\/so .*\/spec: additional properties 'maxReplicas'/);
  });

  it("checks custom resources against their CRD's own openAPIV3Schema, from the input or from `crds`", async () => {
    const widget = (spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'example.com/v1alpha1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec,
    });
    const together = await validateManifests(
      `${pipelineCrd}---\n${YAMLof(widget({ size: 2, port: 'http', extra: { anything: [1] } }))}`,
    );
    expect(messages(together)).toBe('');
    expect(together.resources).toBe(2); // the CRD itself is validated too

    const separate = await validateManifests(
      [widget({ size: 0, colour: 'red' }), widget({ port: 80 }), { ...widget({ size: 1 }), status: {} }],
      { crds: [pipelineCrd] },
    );
    const text = messages(separate);
    expect(text).toMatch(/\/spec: additional properties 'colour'/);
    expect(text).toMatch(/\/spec\/size: .*minimum/);
    expect(text).toMatch(/\/spec: missing property 'size'/);
    expect(text).toMatch(/\/: additional properties 'status'/); // top level is closed too
  });

  it('rejects a CRD whose own definition has unknown fields', async () => {
    const report = await validateManifests(
      pipelineCrd.replace('scope: Namespaced', 'scope: Namespaced\n  scoped: true'),
    );
    expect(messages(report)).toMatch(/CustomResourceDefinition\/widgets.example.com .*'scoped'/);
  });
});

describe('inputs', () => {
  it('names the schema directory and the way out when it is missing', () => {
    const saved = process.env['K8S_SCHEMAS_DIR'];
    process.env['K8S_SCHEMAS_DIR'] = '/nonexistent/k8s-schemas';
    try {
      expect(() => k8sSchemasDir()).toThrow(
        /no Kubernetes schemas at \/nonexistent\/k8s-schemas: set K8S_SCHEMAS_DIR/,
      );
    } finally {
      if (saved === undefined) delete process.env['K8S_SCHEMAS_DIR'];
      else process.env['K8S_SCHEMAS_DIR'] = saved;
    }
  });

  it('parses multi-document YAML, dropping empty documents', () => {
    expect(
      parseManifests('---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n'),
    ).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }]);
  });
});

function YAMLof(o: KubeObject): string {
  return JSON.stringify(o); // JSON is YAML
}

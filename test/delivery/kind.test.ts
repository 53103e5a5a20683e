import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseManifests, validateManifests, formatProblems, type KubeObject } from '../support/kube';

/**
 * k8s/kind (the cluster config, its local registry, the scripts that make both) and k8s/dev (the development
 * Redpanda, PostgreSQL, Prometheus and Grafana, built with kustomize's own engine): decoded strictly as kind
 * and the API server would, and consistent with each other — the ports kind publishes are the NodePorts the
 * Services declare, and the addresses Redpanda advertises are the ones its clients use.
 */
const ROOT = path.join(__dirname, '..', '..');
const KIND_DIR = path.join(ROOT, 'k8s', 'kind');
const DEV_DIR = path.join(ROOT, 'k8s', 'dev');

interface PortMapping {
  containerPort: number;
  hostPort: number;
  listenAddress: string;
  protocol: string;
}
interface KindConfig {
  cluster: {
    name: string;
    nodes: { role: string; image: string; extraPortMappings?: PortMapping[] }[];
    containerdConfigPatches?: string[];
  };
  defaultNodeImage: string;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  readinessProbe?: unknown;
  resources?: { limits?: { memory?: string } };
}
interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
}

let checker: string;
const run = (...args: string[]): string => execFileSync(checker, args, { encoding: 'utf8' });

let kind: KindConfig;
let dev: KubeObject[];
// The first run builds tools/delivery-check from the Go module proxy: minutes on a cold machine.
const BUILD_TIMEOUT_MS = 600_000;
beforeAll(() => {
  checker = execFileSync('bash', [path.join(ROOT, 'tools', 'delivery-check.sh')], {
    encoding: 'utf8',
  }).trim();
  kind = JSON.parse(run('kind', path.join(KIND_DIR, 'cluster.yaml'))) as KindConfig;
  dev = parseManifests(run('kustomize', '-load-restrictor', 'none', DEV_DIR));
}, BUILD_TIMEOUT_MS);

const ofKind = (kindName: string): KubeObject[] => dev.filter((o) => o.kind === kindName);
const podSpec = (o: KubeObject): PodSpec => (o['spec'] as { template: { spec: PodSpec } }).template.spec;
const workloads = (): KubeObject[] => dev.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));

describe('k8s/kind/cluster.yaml', () => {
  it('decodes strictly as kind v1alpha4; a misspelled field is refused as kind create cluster refuses it', () => {
    expect(kind.cluster.name).toBe('telemetry-pulse');
    expect(kind.cluster.nodes.map((n) => n.role)).toEqual(['control-plane']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kind-'));
    try {
      const bad = path.join(dir, 'cluster.yaml');
      writeFileSync(
        bad,
        readFileSync(path.join(KIND_DIR, 'cluster.yaml'), 'utf8').replace(
          'extraPortMappings',
          'extraPortMapping',
        ),
      );
      expect(() => execFileSync(checker, ['kind', bad], { stdio: 'pipe' })).toThrow(
        /unknown field "extraPortMapping"/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins the node image by digest to the one of the kind release the checker is built from', () => {
    expect(kind.cluster.nodes[0]?.image).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/);
    expect(kind.cluster.nodes[0]?.image).toBe(kind.defaultNodeImage);
  });

  it('publishes on 127.0.0.1 only the NodePorts k8s/dev declares, each on its own host port', () => {
    const mappings = kind.cluster.nodes.flatMap((n) => n.extraPortMappings ?? []);
    const nodePorts = ofKind('Service').flatMap((s) =>
      ((s['spec'] as { ports: { nodePort?: number }[] }).ports ?? []).flatMap((p) =>
        p.nodePort ? [p.nodePort] : [],
      ),
    );
    expect(mappings.map((m) => m.containerPort).sort()).toEqual(nodePorts.sort());
    for (const m of mappings) expect([m.listenAddress, m.protocol]).toEqual(['127.0.0.1', 'TCP']);
    expect(new Set(mappings.map((m) => m.hostPort)).size).toBe(mappings.length);
  });

  it('points containerd at the local registry that up.sh starts and local-registry-hosting documents', () => {
    expect(kind.cluster.containerdConfigPatches?.join('\n')).toContain(
      'config_path = "/etc/containerd/certs.d"',
    );
    const upSh = readFileSync(path.join(KIND_DIR, 'up.sh'), 'utf8');
    const port = /^REGISTRY_PORT=(\d+)$/m.exec(upSh)?.[1];
    const hosting = parseYaml(readFileSync(path.join(KIND_DIR, 'local-registry-hosting.yaml'), 'utf8')) as {
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(hosting.metadata).toEqual({ name: 'local-registry-hosting', namespace: 'kube-public' });
    expect(parseYaml(hosting.data['localRegistryHosting.v1'] ?? '')).toMatchObject({
      host: `localhost:${port}`,
    });
    expect(upSh).toMatch(/^REGISTRY_IMAGE=registry:\d+\.\d+\.\d+$/m);
    expect(upSh).toContain(`--config "$HERE/cluster.yaml"`);
    expect(upSh).toMatch(/^CLUSTER=telemetry-pulse$/m);
  });

  it('up.sh and down.sh pass shellcheck (when installed)', () => {
    const check = spawnSync('shellcheck', [path.join(KIND_DIR, 'up.sh'), path.join(KIND_DIR, 'down.sh')], {
      encoding: 'utf8',
    });
    if (check.error) {
      expect((check.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      return;
    }
    expect([check.status, check.stdout]).toEqual([0, '']);
  });

  it('the registry ConfigMap is a valid Kubernetes object', async () => {
    const report = await validateManifests(
      readFileSync(path.join(KIND_DIR, 'local-registry-hosting.yaml'), 'utf8'),
    );
    expect(formatProblems(report)).toBe('');
  });
});

describe('k8s/dev (kustomize build)', () => {
  it('holds Redpanda, Redpanda Console, PostgreSQL, Prometheus and Grafana in namespace telemetry-dev', () => {
    expect(
      workloads()
        .map((w) => `${w.kind}/${w.metadata.name}`)
        .sort(),
    ).toEqual([
      'Deployment/grafana',
      'Deployment/prometheus',
      'Deployment/redpanda-console',
      'StatefulSet/postgres',
      'StatefulSet/redpanda',
    ]);
    for (const o of dev.filter((x) => x.kind !== 'Namespace')) {
      expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([
        o.kind,
        o.metadata.name,
        'telemetry-dev',
      ]);
    }
  });

  it('is valid against the Kubernetes schemas, strictly', async () => {
    const report = await validateManifests(dev);
    expect(formatProblems(report)).toBe('');
    expect(report.resources).toBe(dev.length);
  });

  it('needs the load restrictor lifted only to read observability/, and kustomize says so otherwise', () => {
    expect(() => execFileSync(checker, ['kustomize', DEV_DIR], { stdio: 'pipe' })).toThrow(
      /observability.* is not in or below/,
    );
  });

  it('runs every pod under the restricted Pod Security Standard, with pinned images and readiness probes', () => {
    const ns = ofKind('Namespace')[0];
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const w of workloads()) {
      const spec = podSpec(w);
      expect([w.metadata.name, spec.securityContext]).toEqual([
        w.metadata.name,
        expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
      ]);
      for (const c of spec.containers) {
        expect([w.metadata.name, c.securityContext]).toEqual([
          w.metadata.name,
          expect.objectContaining({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
        ]);
        expect(c.image).toMatch(/:v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$/);
        expect([w.metadata.name, c.readinessProbe]).toEqual([w.metadata.name, expect.anything()]);
        expect([w.metadata.name, c.resources?.limits?.memory]).toEqual([w.metadata.name, expect.any(String)]);
      }
    }
  });

  it('Redpanda advertises the in-cluster address to pods and localhost:<kind host port> to the host', () => {
    const redpanda = podSpec(workloads().find((w) => w.metadata.name === 'redpanda') as KubeObject)
      .containers[0];
    const advertised =
      redpanda?.args?.find((a) => a.startsWith('--advertise-kafka-addr='))?.split('=')[1] ?? '';
    const [internal, external] = advertised.split(',');
    expect(internal).toBe('internal://redpanda.telemetry-dev.svc.cluster.local:9092');
    const externalService = ofKind('Service').find((s) => s.metadata.name === 'redpanda-external');
    const nodePort = (externalService?.['spec'] as { ports: { nodePort: number }[] }).ports[0]?.nodePort;
    const hostPort = kind.cluster.nodes[0]?.extraPortMappings?.find(
      (m) => m.containerPort === nodePort,
    )?.hostPort;
    expect(external).toBe(`external://localhost:${hostPort}`);
    const values = parseYaml(readFileSync(path.join(DEV_DIR, 'values-dev.yaml'), 'utf8')) as {
      kafka: { brokers: string };
      database: { existingSecret: string; urlKey: string };
    };
    expect(`internal://${values.kafka.brokers}`).toBe(internal);
  });

  it('the chart’s database Secret points at the PostgreSQL Service with the credentials PostgreSQL starts with', () => {
    const values = parseYaml(readFileSync(path.join(DEV_DIR, 'values-dev.yaml'), 'utf8')) as {
      database: { existingSecret: string; urlKey: string };
    };
    const decode = (name: string): Record<string, string> => {
      const secret = ofKind('Secret').find((s) => s.metadata.name === name);
      const data = (secret?.['data'] ?? {}) as Record<string, string>;
      return Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      );
    };
    const url = new URL(decode(values.database.existingSecret)[values.database.urlKey] ?? '');
    const pg = decode('postgres-credentials');
    expect([url.username, url.password, url.pathname]).toEqual([
      pg['POSTGRES_USER'],
      pg['POSTGRES_PASSWORD'],
      `/${pg['POSTGRES_DB']}`,
    ]);
    expect(url.host).toBe('postgres.telemetry-dev.svc.cluster.local:5432');
    expect(ofKind('Service').map((s) => s.metadata.name)).toContain('postgres');
  });

  it('provisions Grafana from observability/ and labels Prometheus as the chart’s NetworkPolicies expect', () => {
    const cm = (prefix: string): KubeObject | undefined =>
      ofKind('ConfigMap').find((c) => c.metadata.name.startsWith(`${prefix}-`));
    const data = (prefix: string): Record<string, string> =>
      (cm(prefix)?.['data'] ?? {}) as Record<string, string>;
    expect(data('grafana-datasources')['telemetry-pulse.yaml']).toBe(
      readFileSync(
        path.join(ROOT, 'observability', 'grafana', 'provisioning', 'datasources', 'telemetry-pulse.yaml'),
        'utf8',
      ),
    );
    expect(Object.keys(data('grafana-dashboards')).sort()).toEqual([
      'building-view.json',
      'pipeline-overview.json',
    ]);
    const prometheus = workloads().find((w) => w.metadata.name === 'prometheus') as KubeObject;
    const labels = (prometheus['spec'] as { template: { metadata: { labels: Record<string, string> } } })
      .template.metadata.labels;
    expect(labels['app.kubernetes.io/name']).toBe('prometheus');
    // The datasources name Services of this namespace.
    const services = ofKind('Service').map((s) => s.metadata.name);
    for (const host of ['prometheus', 'postgres', 'grafana', 'redpanda-console'])
      expect(services).toContain(host);
  });
});

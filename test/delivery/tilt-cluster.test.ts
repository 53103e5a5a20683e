import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CLUSTER_KUBECONFIG,
  parseTiltClusterArgs,
  READY_FILE,
  serviceAddresses,
  type ServicesOptions,
} from '../../scripts/tilt-cluster/plan';
import {
  containersOf,
  formatProblems,
  helmTemplate,
  parseManifests,
  podsOf,
  validateManifests,
  type KubeObject,
} from '../support/kube';

/**
 * The Tiltfile's second branch: the project's own cluster (scripts/cluster.sh; docs/kubernetes.md, "Tilt on the
 * project's cluster"), where no registry is. Evaluated as test/delivery/tilt.test.ts does (tools/delivery-check,
 * Tilt's exact signatures), with the context scripts/cluster.sh names and KUBECONFIG pointing at a file where
 * that script writes its admin kubeconfig; the kind branch's own checks stay in tilt.test.ts.
 */
const ROOT = path.join(__dirname, '..', '..');
const TILTFILE = path.join(ROOT, 'Tiltfile');
const CONTEXT = 'telemetry-pulse';

interface Call {
  readonly fn: string;
  readonly args: Record<string, unknown>;
}
interface Step {
  readonly $sync?: true;
  readonly $fall_back_on?: true;
  readonly local_path?: string;
  readonly files?: string[];
}

let checker: string;
let checkout: string;
let kubeconfig: string;

function evaluate(context: string, env: Record<string, string | undefined>) {
  const r = spawnSync(checker, ['tiltfile', '-context', context, TILTFILE], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], ...env },
  });
  return {
    status: r.status,
    stderr: r.stderr,
    calls: r.status === 0 ? (JSON.parse(r.stdout) as { calls: Call[] }).calls : [],
    prints: r.status === 0 ? (JSON.parse(r.stdout) as { prints: string[] }).prints : [],
  };
}

let cluster: ReturnType<typeof evaluate>;
let kind: ReturnType<typeof evaluate>;
let chart: KubeObject[];
let services: ServicesOptions;
const callsOf = (r: { calls: Call[] }, fn: string): Record<string, unknown>[] =>
  r.calls.filter((c) => c.fn === fn).map((c) => c.args);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).map(String);
const local = (name: string) => callsOf(cluster, 'local_resource').find((r) => r['name'] === name);

beforeAll(async () => {
  checker = execFileSync('bash', [path.join(ROOT, 'tools', 'delivery-check.sh')], {
    encoding: 'utf8',
  }).trim();
  checkout = mkdtempSync(path.join(os.tmpdir(), 'tilt-cluster-'));
  kubeconfig = path.join(checkout, CLUSTER_KUBECONFIG);
  mkdirSync(path.dirname(kubeconfig), { recursive: true });
  writeFileSync(kubeconfig, '');
  cluster = evaluate(CONTEXT, { KUBECONFIG: kubeconfig });
  if (cluster.status !== 0) throw new Error(cluster.stderr);
  kind = evaluate('kind-telemetry-pulse', {});
  if (kind.status !== 0) throw new Error(kind.stderr);
  const [helm] = callsOf(cluster, 'helm');
  chart = (
    await helmTemplate({
      chart: path.join(ROOT, String(helm?.['pathToChartDir'])),
      release: String(helm?.['name']),
      namespace: String(helm?.['namespace']),
      valuesFiles: strings(helm?.['values']).map((v) => path.join(ROOT, v)),
    })
  ).objects;
  const parsed = parseTiltClusterArgs(
    String(local('dev-services')?.['serve_cmd'] ?? '')
      .split(/\s+/)
      .slice(4),
  );
  if (parsed.command !== 'services') throw new Error('dev-services does not run `tilt-cluster.ts services`');
  services = parsed;
}, 600_000);

afterAll(() => rmSync(checkout, { recursive: true, force: true }));

describe('Tiltfile on the project’s cluster: which cluster', () => {
  it('allows the context only through the admin kubeconfig scripts/cluster.sh wrote', () => {
    expect(callsOf(cluster, 'allow_k8s_contexts')).toEqual([{ contexts: CONTEXT }]);
    // On kind Tilt's own refusal of unknown clusters stays in force.
    expect(callsOf(kind, 'allow_k8s_contexts')).toEqual([]);
    expect(cluster.prints.join('\n')).toMatch(
      /Redpanda, Redpanda Console, Prometheus and Grafana are skipped/,
    );
  });

  it('refuses that context through any other kubeconfig, and other contexts through this one', () => {
    const elsewhere = path.join(checkout, 'config');
    writeFileSync(elsewhere, '');
    for (const k of [
      undefined,
      elsewhere,
      `${kubeconfig}:${elsewhere}`,
      path.join(checkout, 'gone', CLUSTER_KUBECONFIG), // the cluster is down: no such file
    ]) {
      const r = evaluate(CONTEXT, { KUBECONFIG: k });
      expect([k, r.status, r.stderr]).toEqual([k, 1, expect.stringContaining('is not the admin kubeconfig')]);
    }
    for (const context of ['telemetry-pulse-prod', 'gke_acme_europe-west1_prod']) {
      const r = evaluate(context, { KUBECONFIG: kubeconfig });
      expect([context, r.status, r.stderr]).toEqual([
        context,
        1,
        expect.stringContaining('only to kind clusters'),
      ]);
    }
  });
});

describe('Tiltfile on the project’s cluster: images without a registry', () => {
  it.each(['processor', 'api', 'simulator'])(
    '%s: built by tilt-cluster.ts image, never through Docker, with kind’s inputs and live update',
    (svc) => {
      const ref = `ghcr.io/telemetry-pulse/${svc}`;
      const custom = callsOf(cluster, 'custom_build').find((b) => b['ref'] === ref) ?? {};
      const docker = callsOf(kind, 'docker_build').find((b) => b['ref'] === ref) ?? {};
      const command = String(custom['command']).split(/\s+/);
      expect(command.slice(0, 3)).toEqual([
        'node',
        '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
        'scripts/tilt-cluster.ts',
      ]);
      // Tilt gives the commands it runs a KUBECONFIG of its own: the cluster's is passed on.
      expect(parseTiltClusterArgs(command.slice(3))).toEqual({ command: 'image', service: svc, kubeconfig });
      // skips_local_docker: Tilt neither inspects nor pushes the image; the command imports it into the node.
      expect(custom['skips_local_docker']).toBe(true);
      expect(custom['deps']).toEqual(docker['only']);
      expect(custom['live_update']).toEqual(docker['live_update']);
      expect(custom['entrypoint']).toEqual(docker['entrypoint']);
      const steps = list(custom['live_update']) as Step[];
      expect(steps.filter((s) => s.$sync).map((s) => s.local_path)).toContain(`services/${svc}/dist`);
    },
  );

  it('applies nothing cluster-scoped of the chart: its CRD is shared with the cluster’s other releases', () => {
    // Found on the real cluster: tilt down deleted the CRD under the operator tests running there.
    const [helm] = callsOf(cluster, 'helm');
    expect(helm?.['skip_crds']).toBe(true);
    expect(callsOf(kind, 'helm')[0]?.['skip_crds']).toBe(false);
  });

  it('builds every image the chart runs, and nothing through docker_build', () => {
    expect(callsOf(cluster, 'docker_build')).toEqual([]);
    const images = podsOf(chart)
      .flatMap(containersOf)
      .map((c) => c.image.replace(/[:@].*$/, ''));
    expect([...new Set(images)].sort()).toEqual(
      callsOf(cluster, 'custom_build')
        .map((b) => String(b['ref']))
        .sort(),
    );
  });
});

describe('Tiltfile on the project’s cluster: Kafka and PostgreSQL on the host', () => {
  it('runs them as a served local resource, ready when the file the script writes exists', () => {
    const dev = local('dev-services');
    // exec: Tilt's SIGTERM reaches the script, and Tilt waits for it (not for sh) to stop the servers.
    expect(String(dev?.['serve_cmd'])).toMatch(/^exec node .* scripts\/tilt-cluster\.ts services /);
    expect(dev?.['labels']).toEqual(['infra']);
    expect(services).toEqual({
      command: 'services',
      host: '10.250.0.1',
      kafkaPort: 19092,
      postgresPort: 15432,
      password: 'telemetry-dev',
    });
    const probe = dev?.['readiness_probe'] as { exec: { command: string[] } };
    expect(probe.exec.command).toEqual(['test', '-e', path.join(ROOT, READY_FILE)]);
  });

  it('applies no k8s/dev image and no kustomize (Tilt would need kubectl on the PATH)', () => {
    expect(callsOf(cluster, 'kustomize')).toEqual([]);
    expect(callsOf(cluster, 'k8s_resource').map((r) => r['workload'])).toEqual([
      'telemetry-pulse-processor',
      'telemetry-pulse-api',
      'telemetry-pulse-simulator',
    ]);
  });

  it('the namespace is kind’s, and the database Secret names the URL the script serves', () => {
    const yaml = callsOf(cluster, 'k8s_yaml').map((c) => c['yaml']);
    expect(yaml[0]).toBe('k8s/dev-cluster/telemetry-dev.yaml');
    const objects = parseManifests(readFileSync(path.join(ROOT, String(yaml[0])), 'utf8'));
    const [kindNamespace] = parseManifests(
      readFileSync(path.join(ROOT, 'k8s', 'dev', 'namespace.yaml'), 'utf8'),
    );
    const namespace = objects.find((o) => o.kind === 'Namespace');
    expect(namespace?.metadata.name).toBe(kindNamespace?.metadata.name);
    expect(namespace?.metadata.labels).toMatchObject(kindNamespace?.metadata.labels ?? { missing: true });
    const secret = objects.find((o) => o.kind === 'Secret');
    const [helm] = callsOf(cluster, 'helm');
    expect(secret?.metadata).toMatchObject({
      name: 'telemetry-pulse-database',
      namespace: helm?.['namespace'],
    });
    expect((secret?.['stringData'] as Record<string, string>)['url']).toBe(
      serviceAddresses(services).databaseUrl,
    );
  });

  it('the chart reaches exactly that Kafka and PostgreSQL, and validates', async () => {
    const { brokers } = serviceAddresses(services);
    for (const pod of podsOf(chart).filter((p) => p.owner.kind === 'Deployment')) {
      const env = containersOf(pod).flatMap((c) => c.env ?? []);
      expect([pod.owner.metadata.name, env.find((e) => e.name === 'KAFKA_BROKERS')?.value]).toEqual([
        pod.owner.metadata.name,
        brokers,
      ]);
    }
    const egress = chart
      .filter((o) => o.kind === 'NetworkPolicy')
      .flatMap(
        (o) =>
          (o['spec'] as { egress?: { to?: { ipBlock?: { cidr: string } }[]; ports?: { port: number }[] }[] })
            .egress ?? [],
      );
    for (const port of [services.kafkaPort, services.postgresPort]) {
      const rules = egress.filter((e) => (e.ports ?? []).some((p) => p.port === port));
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules) expect(r.to).toEqual([{ ipBlock: { cidr: `${services.host}/32` } }]);
    }
    expect(formatProblems(await validateManifests(chart))).toBe('');
  });

  it('the services and the DLQ tool wait for dev-services; the DLQ tool uses its broker', () => {
    const deps = Object.fromEntries(
      [...callsOf(cluster, 'k8s_resource'), ...callsOf(cluster, 'local_resource')].map((r) => [
        String(r['new_name'] ?? r['name']),
        strings(r['resource_deps']),
      ]),
    );
    expect(deps['processor']).toEqual(['compile', 'dev-services']);
    expect(deps['api']).toEqual(['compile', 'dev-services']);
    expect(deps['simulator']).toEqual(['compile', 'dev-services']);
    for (const tool of ['dlq-list', 'dlq-replay-dry-run']) {
      expect(deps[tool]).toEqual(['compile', 'dev-services']);
      expect((local(tool)?.['env'] as Record<string, string>)['KAFKA_BROKERS']).toBe(
        serviceAddresses(services).brokers,
      );
    }
  });
});

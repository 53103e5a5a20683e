import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { apiOptionSpecs } from '@telemetry-pulse/api';
import {
  formatProblems,
  helmTemplate,
  parseManifests,
  validateManifests,
  type KubeObject,
} from '../support/kube';

/**
 * The Tiltfile (docs/deploy/kind-tilt.md): formatted and lint-clean for buildifier, evaluated with
 * go.starlark.net and stubs that take Tilt's exact parameters (tools/delivery-check), and every path, chart,
 * values file, Dockerfile target, image, workload and port it names checked against the repository.
 */
const ROOT = path.join(__dirname, '..', '..');
const TILTFILE = path.join(ROOT, 'Tiltfile');

interface Call {
  readonly fn: string;
  readonly args: Record<string, unknown>;
}
interface Step {
  readonly $sync?: true;
  readonly $fall_back_on?: true;
  readonly local_path?: string;
  readonly remote_path?: string;
  readonly files?: string[];
}
interface PortForward {
  readonly local_port: number;
  readonly container_port?: number;
}

let checker: string;
function evaluate(file: string, context: string): { status: number | null; calls: Call[]; stderr: string } {
  const r = spawnSync(checker, ['tiltfile', '-context', context, file], { encoding: 'utf8' });
  return {
    status: r.status,
    stderr: r.stderr,
    calls: r.status === 0 ? (JSON.parse(r.stdout) as { calls: Call[] }).calls : [],
  };
}

let calls: Call[];
let chart: KubeObject[];
let devInfra: KubeObject[];
const callsOf = (fn: string): Record<string, unknown>[] =>
  calls.filter((c) => c.fn === fn).map((c) => c.args);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).map(String);
const exists = (p: string): boolean => existsSync(path.join(ROOT, p));

// The first run builds tools/delivery-check from the Go module proxy: minutes on a cold machine.
const BUILD_TIMEOUT_MS = 600_000;
beforeAll(async () => {
  checker = execFileSync('bash', [path.join(ROOT, 'tools', 'delivery-check.sh')], {
    encoding: 'utf8',
  }).trim();
  const result = evaluate(TILTFILE, 'kind-telemetry-pulse');
  if (result.status !== 0) throw new Error(result.stderr);
  calls = result.calls;
  const [helm] = callsOf('helm');
  chart = (
    await helmTemplate({
      chart: path.join(ROOT, String(helm?.['pathToChartDir'])),
      release: String(helm?.['name']),
      namespace: String(helm?.['namespace']),
      valuesFiles: strings(helm?.['values']).map((v) => path.join(ROOT, v)),
    })
  ).objects;
  const [kustomize] = callsOf('kustomize');
  const restrictor = strings(kustomize?.['flags']).includes('--load-restrictor=LoadRestrictionsNone')
    ? 'none'
    : 'rootOnly';
  devInfra = parseManifests(
    execFileSync(
      checker,
      ['kustomize', '-load-restrictor', restrictor, path.join(ROOT, String(kustomize?.['pathToDir']))],
      {
        encoding: 'utf8',
      },
    ),
  );
}, BUILD_TIMEOUT_MS);

describe('Tiltfile: syntax and evaluation', () => {
  it('is formatted and lint-clean for buildifier (scripts/tools.sh)', () => {
    const buildifier = execFileSync('bash', [path.join(ROOT, 'scripts', 'tools.sh'), 'path', 'buildifier'], {
      encoding: 'utf8',
    }).trim();
    const r = spawnSync(buildifier, ['--mode=check', '--lint=warn', TILTFILE], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tilt-'));
    try {
      const broken = path.join(dir, 'Tiltfile');
      writeFileSync(broken, 'k8s_yaml(kustomize("k8s/dev")\n');
      expect(spawnSync(buildifier, ['--mode=check', broken]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses any context that is not a kind cluster, including other local ones Tilt would allow', () => {
    for (const context of ['gke_acme_europe-west1_prod', 'docker-desktop', 'minikube']) {
      const r = evaluate(TILTFILE, context);
      expect([context, r.status, r.stderr]).toEqual([
        context,
        1,
        expect.stringContaining('only to kind clusters'),
      ]);
    }
    expect(evaluate(TILTFILE, 'kind-other').status).toBe(0);
  });

  it('the evaluator refuses an unknown builtin and a misspelled keyword, as tilt up would', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tilt-'));
    try {
      const file = path.join(dir, 'Tiltfile');
      writeFileSync(file, 'docker_build("x", ".", targett = "api")\n');
      expect(evaluate(file, 'kind-x').stderr).toMatch(/unexpected keyword argument "targett"/);
      writeFileSync(file, 'k8s_resources("api")\n');
      expect(evaluate(file, 'kind-x').stderr).toMatch(/undefined: k8s_resources/);
      writeFileSync(file, 'docker_build("x", ".", live_update = [run("make"), sync("a", "/b")])\n');
      expect(evaluate(file, 'kind-x').stderr).toMatch(/may not follow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Tiltfile: what it builds', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const stageBody = (name: string): string =>
    stages.find((s) => new RegExp(`^\\S+ AS ${name}\\n`).test(s)) ?? '';
  const lineage = (name: string): string[] => {
    const body = stageBody(name);
    const base = /^(\S+) AS/.exec(body)?.[1] ?? '';
    return body
      ? [name, ...(stages.some((s) => new RegExp(` AS ${base}\\n`).test(s)) ? lineage(base) : [])]
      : [];
  };

  it('builds one dev image per chart workload, under the name the chart renders', () => {
    const refs = callsOf('docker_build').map((b) => String(b['ref']));
    const images = chart
      .filter((o) => o.kind === 'Deployment')
      .flatMap(
        (d) =>
          (d['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers,
      )
      .map((c) => c.image.replace(/[:@].*$/, ''));
    expect([...new Set(images)].sort()).toEqual([...refs].sort());
  });

  it.each(['processor', 'api', 'simulator'])(
    '%s: a <service>-dev target of the root Dockerfile, whole context sent',
    (svc) => {
      const build = callsOf('docker_build').find(
        (b) => b['ref'] === `ghcr.io/telemetry-pulse/${svc}`,
      ) as Record<string, unknown>;
      expect(build['target']).toBe(`${svc}-dev`);
      expect(build['context']).toBe('.');
      expect(exists(String(build['dockerfile'] ?? 'Dockerfile'))).toBe(true);
      expect(stageBody(`${svc}-dev`)).not.toBe('');
      const only = strings(build['only']);
      for (const p of only) expect([p, exists(p)]).toEqual([p, true]);
      // Every file the target's stages COPY or bind-mount from the context is inside `only`, or the build
      // would miss it (a bind mount without `from=` reads the build context too).
      const sources = lineage(`${svc}-dev`).flatMap((s) => [
        ...[...stageBody(s).matchAll(/^COPY (?!--from)(?:--\S+ )*(.+)$/gm)].flatMap((m) =>
          (m[1] ?? '').split(/\s+/).slice(0, -1),
        ),
        ...[...stageBody(s).matchAll(/--mount=type=bind,([^\s\\]+)/g)]
          .map((m) => (m[1] ?? '').split(','))
          .filter((opts) => !opts.some((o) => o.startsWith('from=')))
          .map((opts) => (opts.find((o) => o.startsWith('source=')) ?? '').slice('source='.length)),
      ]);
      expect(sources.length).toBeGreaterThan(5);
      expect(sources).toContain('scripts/images/sbom.ts');
      for (const src of sources) {
        expect([src, only.some((o) => src === o || src.startsWith(`${o}/`))]).toEqual([src, true]);
      }
    },
  );

  it.each(['processor', 'api', 'simulator'])(
    '%s: live update syncs dist/ into folders uid 1000 owns, restarts node',
    (svc) => {
      const build = callsOf('docker_build').find(
        (b) => b['ref'] === `ghcr.io/telemetry-pulse/${svc}`,
      ) as Record<string, unknown>;
      const steps = list(build['live_update']) as Step[];
      const only = strings(build['only']);
      const owned = [...stageBody(`${svc}-dev`).matchAll(/^COPY --chown=1000:1000 (\S+) (\S+)$/gm)].map(
        (m) => `/app/${m[2]}`,
      );
      const syncs = steps.filter((s) => s.$sync);
      expect(syncs.map((s) => s.local_path)).toEqual(
        expect.arrayContaining(['services/shared/dist', `services/${svc}/dist`]),
      );
      for (const s of syncs) {
        expect(only).toContain(s.local_path);
        expect(owned).toContain(s.remote_path);
      }
      const fallBack = steps.filter((s) => s.$fall_back_on).flatMap((s) => s.files ?? []);
      expect(fallBack).toEqual(expect.arrayContaining(['package-lock.json', `services/${svc}/package.json`]));
      for (const f of fallBack) expect(only).toContain(f);
      // The chart's command, with node restarting on each sync.
      const deployment = chart.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith(`-${svc}`));
      const command = (
        deployment?.['spec'] as { template: { spec: { containers: { command: string[] }[] } } }
      ).template.spec.containers[0]?.command;
      expect(build['entrypoint']).toEqual([command?.[0], '--watch', ...(command ?? []).slice(1)]);
    },
  );

  it('compiles on the host what the images sync, watching every service’s sources', () => {
    const compile = callsOf('local_resource').find((r) => r['name'] === 'compile');
    expect(compile?.['cmd']).toBe('npx --no-install tsc --build');
    const deps = strings(compile?.['deps']);
    for (const d of deps) expect([d, exists(d)]).toEqual([d, true]);
    for (const svc of ['shared', 'processor', 'api', 'simulator'])
      expect(deps).toContain(`services/${svc}/src`);
  });
});

describe('Tiltfile: what it deploys', () => {
  /** Tilt's resource names: workloads by name, renamed by k8s_resource(new_name=…), and local resources. */
  const resources = (): Set<string> => {
    const names = new Set(
      [...chart, ...devInfra]
        .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
        .map((o) => o.metadata.name),
    );
    for (const r of callsOf('k8s_resource')) {
      if (r['new_name']) {
        names.delete(String(r['workload']));
        names.add(String(r['new_name']));
      }
    }
    for (const r of callsOf('local_resource')) names.add(String(r['name']));
    return names;
  };

  it('installs the chart with the dev values, which the chart’s schema and the Kubernetes schemas accept', async () => {
    const [helm] = callsOf('helm');
    expect(exists(String(helm?.['pathToChartDir']))).toBe(true);
    expect(exists(path.join(String(helm?.['pathToChartDir']), 'Chart.yaml'))).toBe(true);
    for (const v of strings(helm?.['values'])) expect([v, exists(v)]).toEqual([v, true]);
    const report = await validateManifests(chart);
    expect(formatProblems(report)).toBe('');
    expect(chart.filter((o) => o.kind === 'Pod')).toEqual([]); // no helm test pod applied as a workload
  });

  it('deploys the dev infrastructure into the namespace of the release', () => {
    const [helm] = callsOf('helm');
    const [kustomize] = callsOf('kustomize');
    expect(exists(path.join(String(kustomize?.['pathToDir']), 'kustomization.yaml'))).toBe(true);
    expect(devInfra.find((o) => o.kind === 'Namespace')?.metadata.name).toBe(helm?.['namespace']);
    expect(callsOf('k8s_yaml').map((c) => c['yaml'])).toHaveLength(2);
  });

  it('configures only workloads that exist, depends only on resources that exist, and labels them all', () => {
    const workloads = new Set(
      [...chart, ...devInfra]
        .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
        .map((o) => o.metadata.name),
    );
    const known = resources();
    for (const r of callsOf('k8s_resource')) {
      expect([r['workload'], workloads.has(String(r['workload']))]).toEqual([r['workload'], true]);
    }
    for (const r of [...callsOf('k8s_resource'), ...callsOf('local_resource')]) {
      const name = String(r['new_name'] ?? r['name'] ?? r['workload']);
      for (const dep of strings(r['resource_deps']))
        expect([name, dep, known.has(dep)]).toEqual([name, dep, true]);
      expect([name, strings(r['labels']).length]).toEqual([name, 1]);
    }
    // Every workload is configured (and so grouped by a label).
    expect(
      callsOf('k8s_resource')
        .map((r) => r['workload'])
        .sort(),
    ).toEqual([...workloads].sort());
  });

  it('forwards the dashboard, Grafana and Redpanda Console to free local ports that reach the right container ports', () => {
    const forwards = callsOf('k8s_resource').flatMap((r) =>
      (list(r['port_forwards']) as PortForward[]).map((pf) => ({ workload: String(r['workload']), ...pf })),
    );
    const containerPorts = (workload: string): number[] =>
      [...chart, ...devInfra]
        .filter((o) => o.metadata.name === workload && ['Deployment', 'StatefulSet'].includes(o.kind))
        .flatMap(
          (o) =>
            (o['spec'] as { template: { spec: { containers: { ports?: { containerPort: number }[] }[] } } })
              .template.spec.containers,
        )
        .flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    const byWorkload = Object.fromEntries(forwards.map((f) => [f.workload, f]));
    expect(byWorkload['telemetry-pulse-api']).toMatchObject({
      local_port: 3000,
      container_port: apiOptionSpecs.port.schema.parse(undefined),
    });
    expect(byWorkload['grafana']).toMatchObject({ local_port: 3001, container_port: 3000 });
    expect(byWorkload['redpanda-console']).toMatchObject({ local_port: 8080, container_port: 8080 });
    for (const f of forwards)
      expect([f.workload, containerPorts(f.workload)]).toEqual([
        f.workload,
        expect.arrayContaining([f.container_port]),
      ]);
    // Local ports: distinct, and not the ones kind (k8s/kind/cluster.yaml) or the registry (5001) hold.
    const kindConfig = readFileSync(path.join(ROOT, 'k8s', 'kind', 'cluster.yaml'), 'utf8');
    const taken = [5001, ...[...kindConfig.matchAll(/hostPort: (\d+)/g)].map((m) => Number(m[1]))];
    const local = forwards.map((f) => f.local_port);
    expect(new Set(local).size).toBe(local.length);
    for (const p of local) expect(taken).not.toContain(p);
  });

  it('offers the tests and the DLQ tool as manual local resources that run real commands', () => {
    const locals = callsOf('local_resource').filter((r) => r['name'] !== 'compile');
    expect(locals.map((r) => r['name'])).toEqual([
      'unit-tests',
      'delivery-tests',
      'dlq-list',
      'dlq-replay-dry-run',
    ]);
    const jestConfig = readFileSync(path.join(ROOT, 'jest.config.js'), 'utf8');
    for (const r of locals) {
      expect([r['name'], r['auto_init'], r['trigger_mode']]).toEqual([
        r['name'],
        false,
        'TRIGGER_MODE_MANUAL',
      ]);
      const cmd = String(r['cmd']);
      const project = /--selectProjects (\S+)/.exec(cmd)?.[1];
      if (project) expect(jestConfig).toContain(`displayName: '${project}'`);
      const script = /^node (services\/\w+)\/dist\/([\w-]+)\.js/.exec(cmd);
      if (script) expect(exists(`${script[1]}/src/${script[2]}.ts`)).toBe(true);
      expect([r['name'], Boolean(project) || Boolean(script)]).toEqual([r['name'], true]);
    }
  });

  it('points the DLQ tool at Redpanda’s external listener, which kind publishes on the host', () => {
    const dlq = callsOf('local_resource').filter((r) => String(r['name']).startsWith('dlq-'));
    const brokers = new Set(dlq.map((r) => (r['env'] as Record<string, string>)['KAFKA_BROKERS']));
    expect([...brokers]).toEqual(['localhost:19092']);
    const redpanda = devInfra.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'redpanda');
    expect(JSON.stringify(redpanda)).toContain('external://localhost:19092');
    const kindConfig = parseYaml(readFileSync(path.join(ROOT, 'k8s', 'kind', 'cluster.yaml'), 'utf8')) as {
      nodes: { extraPortMappings: { hostPort: number }[] }[];
    };
    expect(kindConfig.nodes[0]?.extraPortMappings.map((m) => m.hostPort)).toContain(19092);
  });

  it('the dev Prometheus scrapes the Services the chart renders for this release and namespace', () => {
    const cm = devInfra.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prometheus-config-'),
    );
    const config = parseYaml((cm?.['data'] as Record<string, string>)['prometheus.yml'] ?? '') as {
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[]; port: number }[];
      }[];
    };
    const services = chart.filter((o) => o.kind === 'Service');
    const [helm] = callsOf('helm');
    for (const job of config.scrape_configs) {
      const targets = [
        ...(job.static_configs ?? []).flatMap((s) => s.targets),
        ...(job.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
      ];
      for (const t of targets) {
        const [host, port] = t.split(':');
        const [name, namespace] = (host ?? '').split('.');
        const service = services.find((s) => s.metadata.name === name);
        expect([job.job_name, namespace, service?.metadata.name]).toEqual([
          job.job_name,
          helm?.['namespace'],
          name,
        ]);
        const ports = (service?.['spec'] as { ports: { port: number }[] }).ports.map((p) => p.port);
        expect([job.job_name, ports]).toEqual([job.job_name, expect.arrayContaining([Number(port)])]);
      }
    }
  });
});

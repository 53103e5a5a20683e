/**
 * The Helm chart, rendered offline with the real helm for its defaults and every ci/*-values.yaml scenario:
 * helm lint --strict, every object strictly valid against the Kubernetes and CRD schemas (kubeconform), and the
 * properties a production chart must keep: restricted pods, no literal secrets, NetworkPolicies, autoscaling
 * capped at the topic's partitions, consistent labels and selectors.
 */
import {
  chartScenarios,
  containersOf,
  describeObject,
  field,
  formatProblems,
  helmLint,
  helmTemplate,
  ofKind,
  podsOf,
  selects,
  validateManifests,
  type KubeObject,
  type Labels,
  type RenderedPod,
  type ValidationReport,
} from '../support/kube';

const scenarios = chartScenarios();
const rendered = new Map<string, KubeObject[]>();
const reports = new Map<string, ValidationReport>();
const lints = new Map<string, { ok: boolean; output: string }>();

beforeAll(async () => {
  await Promise.all(
    scenarios.map(async (s) => {
      const [r, lint] = await Promise.all([helmTemplate(s.options), helmLint(s.options)]);
      rendered.set(s.name, r.objects);
      lints.set(s.name, lint);
      reports.set(s.name, await validateManifests(r.yaml)); // the text: duplicate keys count too
    }),
  );
});

const objectsOf = (name: string): KubeObject[] => rendered.get(name) ?? [];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEYS|DATABASE_URL|USERNAME|CREDENTIAL/;

/** What each object's own pod-selecting field says, for the consistency checks. */
function selectorOf(o: KubeObject): Labels | undefined {
  switch (o.kind) {
    case 'Service':
      return field<Labels>(o, 'spec.selector');
    case 'Deployment':
    case 'PodDisruptionBudget':
      return field<Labels>(o, 'spec.selector.matchLabels');
    case 'NetworkPolicy':
      return field<Labels>(o, 'spec.podSelector.matchLabels');
    default:
      return undefined;
  }
}

function processorOf(objects: readonly KubeObject[]): KubeObject | undefined {
  return ofKind(objects, 'Deployment').find(
    (d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'processor',
  );
}

function partitionsOf(objects: readonly KubeObject[]): number {
  const pod = podsOf(objects).find((p) => p.labels['app.kubernetes.io/component'] === 'processor');
  const env = pod?.spec.containers[0]?.env ?? [];
  return Number(env.find((e) => e.name === 'PROCESSOR_TOPIC_PARTITIONS')?.value);
}

describe.each(scenarios.map((s) => s.name))('chart scenario %s', (name) => {
  it('passes helm lint --strict', () => {
    const lint = lints.get(name);
    expect(lint?.output).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(lint?.ok).toBe(true);
  });

  it('renders objects that are valid against the strict Kubernetes and CRD schemas', () => {
    const report = reports.get(name);
    expect(report && formatProblems(report)).toBe('');
    expect(report?.resources).toBe(objectsOf(name).length);
    expect(objectsOf(name).length).toBeGreaterThan(0);
  });

  it('runs every pod under the restricted Pod Security Standard, writing only to an emptyDir /tmp', () => {
    const pods = podsOf(objectsOf(name));
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) {
      const where = describeObject(pod.owner);
      const podSc = pod.spec.securityContext ?? {};
      expect({ where, seccomp: podSc.seccompProfile?.type }).toEqual({ where, seccomp: 'RuntimeDefault' });
      expect({
        where,
        hostNetwork: pod.spec.hostNetwork,
        hostPID: pod.spec.hostPID,
        hostIPC: pod.spec.hostIPC,
      }).toEqual({ where, hostNetwork: undefined, hostPID: undefined, hostIPC: undefined });
      expect(pod.spec.volumes?.filter((v) => v.hostPath) ?? []).toEqual([]);
      const tmp = pod.spec.volumes?.find((v) => v.name === 'tmp');
      expect({ where, tmp: Boolean(tmp?.emptyDir) }).toEqual({ where, tmp: true });
      for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        expect({
          where,
          container: c.name,
          ...restrictedView(podSc.runAsNonRoot, podSc.runAsUser, sc),
        }).toEqual({
          where,
          container: c.name,
          runAsNonRoot: true,
          nonZeroUser: true,
          privileged: false,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          dropsAll: true,
          adds: [],
        });
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
    }
  });

  it('makes every container report its last log lines when it fails without a termination message', () => {
    for (const pod of podsOf(objectsOf(name))) {
      for (const c of containersOf(pod)) {
        const where = `${describeObject(pod.owner)} ${c.name}`;
        expect({ where, policy: c.terminationMessagePolicy }).toEqual({
          where,
          policy: 'FallbackToLogsOnError',
        });
      }
    }
  });

  it('gives every long-running container probes on its own port and resources', () => {
    for (const pod of podsOf(objectsOf(name)).filter((p) => p.owner.kind === 'Deployment')) {
      for (const c of pod.spec.containers) {
        const where = `${describeObject(pod.owner)} ${c.name}`;
        const ports = (c.ports ?? []).map((p) => p.name);
        for (const probe of [c.livenessProbe, c.readinessProbe]) {
          expect({ where, port: probe?.httpGet?.port }).toEqual({ where, port: 'http' });
        }
        expect({ where, ports }).toEqual({ where, ports: ['http'] });
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        expect({ where, cpu: c.resources?.requests?.['cpu'] !== undefined }).toEqual({ where, cpu: true });
        expect({ where, memory: c.resources?.limits?.['memory'] !== undefined }).toEqual({
          where,
          memory: true,
        });
      }
    }
  });

  it('never inlines a secret: no Secret objects, credentials only through secretKeyRef', () => {
    const objects = objectsOf(name);
    expect(ofKind(objects, 'Secret').map(describeObject)).toEqual([]);
    for (const pod of podsOf(objects)) {
      for (const c of containersOf(pod)) {
        for (const e of c.env ?? []) {
          if (SECRET_NAME.test(e.name)) {
            expect({ env: e.name, literal: e.value, fromSecret: Boolean(e.valueFrom?.secretKeyRef) }).toEqual(
              {
                env: e.name,
                literal: undefined,
                fromSecret: true,
              },
            );
          }
        }
      }
    }
    // No URL with a password anywhere in the output (postgres://user:password@host).
    expect(JSON.stringify(objects)).not.toMatch(/[a-z]+:\/\/[^/\s:@"]+:[^@\s/"]+@/i);
  });

  it('keeps labels and selectors consistent', () => {
    const objects = objectsOf(name);
    const pods = podsOf(objects);
    const deployments = ofKind(objects, 'Deployment');
    // crds/ is installed as it is, never templated: no release labels there.
    for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition')) {
      expect({ o: describeObject(o), labels: o.metadata.labels }).toEqual({
        o: describeObject(o),
        labels: expect.objectContaining({
          'app.kubernetes.io/name': 'telemetry-pulse',
          'app.kubernetes.io/instance': 'tp',
          'app.kubernetes.io/managed-by': 'Helm',
        }),
      });
    }
    for (const d of deployments) {
      const selector = selectorOf(d) ?? {};
      const template = field<Labels>(d, 'spec.template.metadata.labels') ?? {};
      expect({ d: describeObject(d), selects: selects(selector, template) }).toEqual({
        d: describeObject(d),
        selects: true,
      });
      // Selectors are immutable: nothing that changes with an upgrade may be part of them.
      expect(Object.keys(selector).sort()).toEqual([
        'app.kubernetes.io/component',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/name',
      ]);
      // No two Deployments select each other's pods.
      const overlapping = deployments.filter(
        (other) =>
          other !== d && selects(selector, field<Labels>(other, 'spec.template.metadata.labels') ?? {}),
      );
      expect(overlapping.map(describeObject)).toEqual([]);
    }
    for (const o of [
      ...ofKind(objects, 'Service'),
      ...ofKind(objects, 'PodDisruptionBudget'),
      ...ofKind(objects, 'NetworkPolicy'),
    ]) {
      const matched = pods.filter((p) => selects(selectorOf(o), p.labels));
      expect({ o: describeObject(o), matches: matched.length > 0 }).toEqual({
        o: describeObject(o),
        matches: true,
      });
    }
    for (const s of ofKind(objects, 'Service')) {
      const target = pods.find((p) => selects(selectorOf(s), p.labels));
      const named = (field<{ targetPort: string }[]>(s, 'spec.ports') ?? []).map((p) => p.targetPort);
      const declared = (target?.spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const port of named)
        expect({ s: describeObject(s), port, declared: declared.includes(port) }).toEqual({
          s: describeObject(s),
          port,
          declared: true,
        });
    }
    for (const o of [...ofKind(objects, 'HorizontalPodAutoscaler'), ...ofKind(objects, 'ScaledObject')]) {
      const target = field<string>(o, 'spec.scaleTargetRef.name');
      expect(deployments.map((d) => d.metadata.name)).toContain(target);
    }
    for (const pod of pods) {
      for (const c of pod.spec.topologySpreadConstraints ?? []) {
        expect(selects(c.labelSelector?.matchLabels, pod.labels)).toBe(true);
      }
      const account = pod.spec.serviceAccountName;
      if (account && account !== 'default')
        expect(ofKind(objects, 'ServiceAccount').map((a) => a.metadata.name)).toContain(account);
    }
  });

  it('never runs more processors than the topic has partitions, and never HPA and KEDA at once', () => {
    const objects = objectsOf(name);
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    const scaled = ofKind(objects, 'ScaledObject');
    const processor = processorOf(objects);
    expect(hpas.length > 0 && scaled.length > 0).toBe(false);
    if (!processor) return;
    const partitions = partitionsOf(objects);
    expect(partitions).toBeGreaterThan(0);
    const replicas = field<number>(processor, 'spec.replicas');
    if (hpas.length + scaled.length > 0) {
      expect(replicas).toBeUndefined(); // the autoscaler owns the count
    } else {
      expect(replicas).toBeLessThanOrEqual(partitions);
    }
    for (const h of hpas) expect(field<number>(h, 'spec.maxReplicas')).toBeLessThanOrEqual(partitions);
    for (const s of scaled) expect(field<number>(s, 'spec.maxReplicaCount')).toBeLessThanOrEqual(partitions);
  });

  it('denies all traffic by default and allows each pod DNS and what it needs, when NetworkPolicies are on', () => {
    const objects = objectsOf(name);
    const policies = ofKind(objects, 'NetworkPolicy');
    if (policies.length === 0) return; // networkPolicy.enabled: false (the minimal scenario)
    const denyAll = policies.find(
      (p) =>
        field(p, 'spec.ingress') === undefined &&
        field(p, 'spec.egress') === undefined &&
        JSON.stringify(field(p, 'spec.policyTypes')) === '["Ingress","Egress"]',
    );
    expect(denyAll).toBeDefined();
    for (const pod of podsOf(objects)) {
      const where = describeObject(pod.owner);
      expect({ where, denied: selects(selectorOf(denyAll as KubeObject), pod.labels) }).toEqual({
        where,
        denied: true,
      });
      const own = policies.filter((p) => p !== denyAll && selects(selectorOf(p), pod.labels));
      expect({ where, policies: own.length }).toEqual({ where, policies: 1 });
      const egressPorts = egressPortsOf(own);
      expect({ where, dns: egressPorts.includes('UDP/53') && egressPorts.includes('TCP/53') }).toEqual({
        where,
        dns: true,
      });
      const component = pod.labels['app.kubernetes.io/component'];
      if (component === 'processor' || component === 'api')
        expect(egressPorts).toEqual(expect.arrayContaining(['TCP/9092', 'TCP/5432']));
      if (component === 'simulator') expect(egressPorts).toContain('TCP/9092');
      if (component === 'simulator') expect(egressPorts).not.toContain('TCP/5432');
      if (component === 'operator')
        expect(egressPorts).toEqual(expect.arrayContaining(['TCP/443', 'TCP/9092'])); // API server, lag
    }
  });
});

describe('chart scenarios side by side', () => {
  it('render the autoscaler the mode asks for', () => {
    expect(ofKind(objectsOf('default'), 'HorizontalPodAutoscaler')).toEqual([]);
    expect(ofKind(objectsOf('default'), 'ScaledObject')).toEqual([]);
    expect(field(processorOf(objectsOf('default')), 'spec.replicas')).toBe(2);

    const hpa = ofKind(objectsOf('hpa'), 'HorizontalPodAutoscaler');
    expect(hpa).toHaveLength(1);
    expect(field(hpa[0], 'spec.metrics.0.resource')).toEqual({
      name: 'cpu',
      target: { type: 'Utilization', averageUtilization: 60 },
    });
    expect(ofKind(objectsOf('hpa'), 'ScaledObject')).toEqual([]);

    const keda = objectsOf('keda');
    const [scaled] = ofKind(keda, 'ScaledObject');
    expect(ofKind(keda, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(field(scaled, 'spec.triggers.0')).toEqual({
      type: 'kafka',
      metadata: expect.objectContaining({
        bootstrapServers: 'kafka.example.com:9093',
        consumerGroup: 'telemetry-processor',
        topic: 'telemetry.events',
        lagThreshold: '5000',
        sasl: 'scram_sha256',
        tls: 'enable',
      }),
      authenticationRef: { name: 'tp-telemetry-pulse-processor-kafka' },
    });
    const [auth] = ofKind(keda, 'TriggerAuthentication');
    expect(auth?.metadata.name).toBe('tp-telemetry-pulse-processor-kafka');
    expect(field(auth, 'spec.secretTargetRef')).toEqual([
      { parameter: 'username', name: 'telemetry-kafka', key: 'username' },
      { parameter: 'password', name: 'telemetry-kafka', key: 'password' },
    ]);
  });

  it('render ServiceMonitor and PrometheusRule only where the Prometheus Operator API is served', () => {
    for (const name of ['default', 'hpa', 'keda', 'dev', 'minimal']) {
      expect(
        objectsOf(name)
          .filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))
          .map(describeObject),
      ).toEqual([]);
    }
    const monitoring = objectsOf('monitoring');
    const [monitor] = ofKind(monitoring, 'ServiceMonitor');
    expect(monitor?.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    expect(field(monitor, 'spec.jobLabel')).toBe('telemetry-pulse.io/job');
    const scraped = ofKind(monitoring, 'Service').filter(
      (s) =>
        selects(field<Labels>(monitor, 'spec.selector.matchLabels'), s.metadata.labels ?? {}) &&
        s.metadata.labels?.['telemetry-pulse.io/job'],
    );
    expect(scraped.map((s) => s.metadata.labels?.['telemetry-pulse.io/job']).sort()).toEqual([
      'telemetry-api',
      'telemetry-processor',
    ]);
    expect(ofKind(monitoring, 'PrometheusRule')).toHaveLength(1);
  });

  it('renders NetworkPolicies by default and none when disabled', () => {
    expect(ofKind(objectsOf('default'), 'NetworkPolicy').length).toBeGreaterThanOrEqual(4);
    expect(ofKind(objectsOf('minimal'), 'NetworkPolicy')).toEqual([]);
  });

  it('pins images by tag (the appVersion) or by digest, one image per component', () => {
    const images = (name: string): string[] =>
      podsOf(objectsOf(name))
        .flatMap((p) => containersOf(p).map((c) => c.image))
        .sort();
    expect([...new Set(images('operator-beside'))]).toEqual([
      'ghcr.io/telemetry-pulse/api:0.1.0',
      'ghcr.io/telemetry-pulse/operator:0.1.0',
      'ghcr.io/telemetry-pulse/processor:0.1.0',
    ]);
    expect(
      images('minimal').every((i) =>
        /^ghcr\.io\/telemetry-pulse\/(api|processor)@sha256:[0-9a-f]{64}$/.test(i),
      ),
    ).toBe(true);
    expect([...new Set(images('dev'))]).toEqual([
      'telemetry-pulse/api:dev',
      'telemetry-pulse/processor:dev',
      'telemetry-pulse/simulator:dev',
    ]);
    // global.imageRegistry moves every image to the mirror, the helm test's too; a component's own wins.
    expect([...new Set(images('extras'))]).toEqual([
      'registry.internal:5000/telemetry-pulse/api:0.1.0',
      'registry.internal:5000/telemetry-pulse/processor:0.1.0',
      'registry.internal:5000/telemetry-pulse/simulator:0.1.0',
      'registry.platform.internal/telemetry-pulse/operator:0.1.0',
    ]);
  });

  it('takes the registry from the component, else global.imageRegistry, else image.registry', async () => {
    const imageOf = async (values: Record<string, unknown>): Promise<string | undefined> => {
      const { objects } = await helmTemplate({ values, includeTests: false });
      return podsOf(objects).find((p) => p.labels['app.kubernetes.io/component'] === 'processor')?.spec
        .containers[0]?.image;
    };
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(await imageOf({ global: { imageRegistry: 'mirror.example' }, image: { registry: '' } })).toBe(
      'mirror.example/telemetry-pulse/processor:0.1.0',
    );
    expect(await imageOf({ global: { imageRegistry: 'mirror.example' }, image: { digest } })).toBe(
      `mirror.example/telemetry-pulse/processor@${digest}`,
    );
    expect(
      await imageOf({
        global: { imageRegistry: 'mirror.example' },
        processor: { imageRegistry: 'own.example:5000/team', image: 'tp/processor' },
      }),
    ).toBe('own.example:5000/team/tp/processor:0.1.0');
    expect(await imageOf({ global: { imageRegistry: '' } })).toBe('ghcr.io/telemetry-pulse/processor:0.1.0');
  });

  it('adds extraEnv, extraEnvFrom, extraVolumes and extraVolumeMounts to each component, templated', () => {
    const objects = objectsOf('extras');
    const pods = podsOf(objects).filter((p) => p.owner.kind === 'Deployment');
    const components = pods.map((p) => p.labels['app.kubernetes.io/component']).sort();
    expect(components).toEqual(['api', 'operator', 'processor', 'simulator']);
    for (const pod of pods) {
      const component = pod.labels['app.kubernetes.io/component'];
      const [c] = pod.spec.containers;
      const where = { component };
      // The chart's own entries stay first; the user's follow.
      expect({ ...where, volumes: pod.spec.volumes?.map((v) => v.name) }).toEqual({
        ...where,
        volumes: component === 'processor' ? ['tmp', 'alert-rules', 'company-ca'] : ['tmp', 'company-ca'],
      });
      expect({ ...where, ca: pod.spec.volumes?.at(-1)?.configMap?.name }).toEqual({
        ...where,
        ca: 'tp-company-ca',
      });
      expect({ ...where, mount: c?.volumeMounts?.at(-1) }).toEqual({
        ...where,
        mount: { name: 'company-ca', mountPath: '/etc/company-ca', readOnly: true },
      });
      expect({ ...where, ca: c?.env?.find((e) => e.name === 'NODE_EXTRA_CA_CERTS')?.value }).toEqual({
        ...where,
        ca: '/etc/company-ca/ca.crt',
      });
    }
    const container = (component: string) =>
      pods.find((p) => p.labels['app.kubernetes.io/component'] === component)?.spec.containers[0];
    expect(container('processor')?.envFrom).toEqual([
      { configMapRef: { name: 'tp-telemetry-pulse-processor-tuning' } },
    ]);
    expect(container('api')?.envFrom).toEqual([
      { prefix: 'API_', configMapRef: { name: 'tp-api-tuning', optional: true } },
    ]);
    expect(container('api')?.env?.at(-1)).toEqual({ name: 'API_RATE_LIMIT', value: '50' });
    expect(container('simulator')?.env?.at(-1)).toEqual({
      name: 'SIM_RATE',
      valueFrom: { configMapKeyRef: { name: 'tp-telemetry-pulse-simulator-tuning', key: 'SIM_RATE' } },
    });
    expect(container('operator')?.envFrom).toBeUndefined();
    // The helm test pod is not a component: none of their extras.
    const [hook] = podsOf(ofKind(objects, 'Pod'));
    expect(hook?.spec.volumes?.map((v) => v.name)).toEqual(['tmp']);

    // Without extras, nothing of the sort.
    for (const pod of podsOf(objectsOf('default'))) {
      expect(pod.spec.volumes?.map((v) => v.name).filter((n) => n !== 'alert-rules')).toEqual(['tmp']);
      expect(pod.spec.containers[0]?.envFrom).toBeUndefined();
    }
  });

  it('renders extraObjects, maps and strings, through tpl', () => {
    const names = [
      'tp-telemetry-pulse-processor-tuning',
      'tp-telemetry-pulse-simulator-tuning',
      'tp-company-ca',
    ];
    const extra = ofKind(objectsOf('extras'), 'ConfigMap').filter((c) => names.includes(c.metadata.name));
    expect(
      extra.map((c) => [
        c.metadata.name,
        c.metadata.namespace,
        c.metadata.labels?.['app.kubernetes.io/instance'],
        Object.keys(field<object>(c, 'data') ?? {}),
      ]),
    ).toEqual([
      ['tp-telemetry-pulse-processor-tuning', undefined, 'tp', ['PROCESSOR_CONCURRENCY']],
      ['tp-telemetry-pulse-simulator-tuning', undefined, 'tp', ['SIM_RATE']],
      ['tp-company-ca', 'telemetry', 'tp', ['ca.crt']],
    ]);
    expect(extra[2]?.metadata.labels?.['helm.sh/chart']).toBe('telemetry-pulse-0.1.0'); // a named template
    const chartsOwn = /-(alert-rules|dashboard-[a-z-]+)$/;
    expect(
      ofKind(objectsOf('default'), 'ConfigMap')
        .map((c) => c.metadata.name)
        .filter((n) => !chartsOwn.test(n)),
    ).toEqual([]);
  });
});

function restrictedView(
  podNonRoot: boolean | undefined,
  podUser: number | undefined,
  sc: NonNullable<RenderedPod['spec']['containers'][number]['securityContext']>,
): Record<string, unknown> {
  const user = sc.runAsUser ?? podUser;
  return {
    runAsNonRoot: sc.runAsNonRoot ?? podNonRoot,
    nonZeroUser: user !== undefined && user !== 0,
    privileged: sc.privileged ?? false,
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
    dropsAll: sc.capabilities?.drop?.includes('ALL') ?? false,
    adds: sc.capabilities?.add ?? [],
  };
}

/** "TCP/5432"-style ports the policies allow as egress. */
function egressPortsOf(policies: readonly KubeObject[]): string[] {
  return policies.flatMap((p) =>
    (field<{ ports?: { port: number; protocol?: string }[] }[]>(p, 'spec.egress') ?? []).flatMap((rule) =>
      (rule.ports ?? []).map((port) => `${port.protocol ?? 'TCP'}/${port.port}`),
    ),
  );
}

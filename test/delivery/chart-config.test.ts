/**
 * What the chart hands the services: every environment variable is one the service reads and its value passes
 * the service's own option parser; the alert rules and notifications ConfigMaps pass the processor's parsers (every
 * secret a notification channel names is in its environment); dashboards and
 * Prometheus rules are the repository's files, not copies; the operator gets the RBAC and env it needs; the
 * helm test hook calls the API's Service.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseOptions, type OptionSpecs } from '@telemetry-pulse/shared/core';
import {
  parseAlertRules,
  parseNotificationsConfig,
  processorOptionSpecs,
  resolveSecrets,
  toProcessorConfig,
} from '@telemetry-pulse/processor';
import { apiOptionSpecs, toApiConfig } from '@telemetry-pulse/api';
import { parseSimulatorConfig, simulatorOptionSpecs } from '@telemetry-pulse/simulator';
import { operatorOptionSpecs, toOperatorConfig } from '@telemetry-pulse/operator';
import {
  CHART_DIR,
  chartScenarios,
  containersOf,
  describeObject,
  field,
  helmTemplate,
  ofKind,
  podsOf,
  REPO_ROOT,
  type Container,
  type KubeObject,
} from '../support/kube';

const scenarios = chartScenarios();
const rendered = new Map<string, KubeObject[]>();

beforeAll(async () => {
  await Promise.all(
    scenarios.map(async (s) => rendered.set(s.name, (await helmTemplate(s.options)).objects)),
  );
});

const objectsOf = (name: string): KubeObject[] => rendered.get(name) ?? [];

/** Tracing variables the shared bootstrap hands to the OpenTelemetry SDK (docs/observability.md, "Tracing"). */
const OTEL_NAMES =
  /^OTEL_(EXPORTER_OTLP_(ENDPOINT|TRACES_ENDPOINT|HEADERS)|TRACES_EXPORTER|SDK_DISABLED|SERVICE_NAME|TRACES_SAMPLER(_ARG)?|BSP_[A-Z_]+|RESOURCE_ATTRIBUTES)$/;

const SPECS: Record<string, OptionSpecs> = {
  processor: processorOptionSpecs,
  api: apiOptionSpecs,
  simulator: simulatorOptionSpecs,
  operator: operatorOptionSpecs,
};

/** Variables Node itself reads (extraEnv's typical use: a company CA bundle, heap limits), not the services. */
const NODE_NAMES = /^(NODE_OPTIONS|NODE_EXTRA_CA_CERTS|TZ)$/;

/**
 * The container's environment as the process would see it: envFrom first, then env (env wins, as in the kubelet).
 * Secret values are replaced by valid stand-ins; ConfigMap values come from the ConfigMaps the release renders
 * (its extraObjects), and a reference to one it does not render must be optional.
 */
function environmentOf(c: Container, objects: readonly KubeObject[] = []): Record<string, string> {
  const stand: Record<string, string> = {
    DATABASE_URL: 'postgres://app:stand-in@db.example:5432/telemetry',
    KAFKA_SASL_USERNAME: 'app',
    KAFKA_SASL_PASSWORD: 'stand-in',
    API_KEYS: `ops:${'a'.repeat(64)}`,
  };
  const configMap = (name: string): Record<string, string> | undefined =>
    field(
      ofKind(objects, 'ConfigMap').find((m) => m.metadata.name === name),
      'data',
    );
  const env: Record<string, string> = {};
  for (const source of c.envFrom ?? []) {
    const ref = source.configMapRef;
    if (!ref) throw new Error(`${c.name}: envFrom ${JSON.stringify(source)} is not a configMapRef`);
    const data = configMap(ref.name);
    if (!data && !ref.optional) throw new Error(`${c.name}: envFrom ConfigMap ${ref.name} is not rendered`);
    for (const [key, value] of Object.entries(data ?? {})) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const e of c.env ?? []) {
    const fromMap = e.valueFrom?.configMapKeyRef;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = stand[e.name] ?? 'stand-in';
    else if (e.valueFrom?.fieldRef) env[e.name] = `downward-api-${e.valueFrom.fieldRef.fieldPath}`;
    else if (fromMap) {
      const value = configMap(fromMap.name)?.[fromMap.key];
      if (value === undefined)
        throw new Error(`${c.name}: env ${e.name}: no ${fromMap.key} in ${fromMap.name}`);
      env[e.name] = value;
    } else throw new Error(`${c.name}: env ${e.name} has neither a value nor a secretKeyRef`);
  }
  return env;
}

/** The content of `file` in the container, read from the ConfigMap volume mounted over its directory. */
function mountedFile(objects: readonly KubeObject[], processor: Container, file: string): string | undefined {
  const mount = processor.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
  const pod = podsOf(objects).find((p) => p.spec.containers.includes(processor));
  const volume = pod?.spec.volumes?.find((v) => v.name === mount?.name);
  const configMap = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === volume?.configMap?.name);
  return field<Record<string, string>>(configMap, 'data')?.[path.basename(file)];
}

/** Variables the processor's notifications file names (`secret_env`, SMTP credentials): the processor reads them too. */
function notificationSecrets(objects: readonly KubeObject[], processor: Container): string[] {
  const file = environmentOf(processor, objects)['NOTIFICATIONS_CONFIG'];
  const text = file === undefined ? undefined : mountedFile(objects, processor, file);
  type Named = { secret_env?: string; smtp?: { username_env?: string; password_env?: string } };
  const doc = text === undefined ? undefined : (parseYaml(text) as { channels?: Named[] });
  return (doc?.channels ?? []).flatMap((c) =>
    [c.secret_env, c.smtp?.username_env, c.smtp?.password_env].filter((n): n is string => n !== undefined),
  );
}

function componentContainers(objects: readonly KubeObject[]): { component: string; container: Container }[] {
  return podsOf(objects)
    .filter((p) => p.owner.kind === 'Deployment')
    .flatMap((p) =>
      containersOf(p).map((container) => ({
        component: p.labels['app.kubernetes.io/component'] ?? '?',
        container,
      })),
    );
}

describe.each(scenarios.map((s) => s.name))('chart scenario %s', (name) => {
  it('sets only environment variables the services read, with values their option parsers accept', () => {
    const containers = componentContainers(objectsOf(name)).filter((c) => c.component in SPECS);
    for (const { component, container } of containers) {
      const specs = SPECS[component] as OptionSpecs;
      const known = new Set(Object.values(specs).flatMap((s) => (s.env ? [s.env] : [])));
      const env = environmentOf(container, objectsOf(name));
      if (component === 'processor')
        for (const n of notificationSecrets(objectsOf(name), container)) known.add(n);
      const unknown = Object.keys(env).filter(
        (n) => !known.has(n) && !OTEL_NAMES.test(n) && !NODE_NAMES.test(n),
      );
      expect({ component, unknown }).toEqual({ component, unknown: [] });
      // The services' own parsing, cross-field rules included; throws ConfigError naming every problem.
      if (component === 'processor') {
        const parsed = parseOptions(processorOptionSpecs, [], env);
        if (!parsed.help) expect(() => toProcessorConfig(parsed.config)).not.toThrow();
      }
      if (component === 'api') {
        const parsed = parseOptions(apiOptionSpecs, [], env);
        if (!parsed.help) expect(() => toApiConfig(parsed.config)).not.toThrow();
      }
      if (component === 'simulator') expect(() => parseSimulatorConfig([], env)).not.toThrow();
      if (component === 'operator') {
        const parsed = parseOptions(operatorOptionSpecs, [], env);
        if (!parsed.help) expect(() => toOperatorConfig(parsed.config)).not.toThrow();
      }
    }
  });

  it("mounts an alert rules file the processor's parser accepts", () => {
    const objects = objectsOf(name);
    const processor = componentContainers(objects).find((c) => c.component === 'processor')?.container;
    const file = processor && environmentOf(processor, objects)['ALERT_RULES_FILE'];
    if (!file) return; // alertRules.enabled: false, or no processor: the built-in defaults
    const json = mountedFile(objects, processor, file);
    expect(json).toBeDefined();
    const result = parseAlertRules(JSON.parse(json as string));
    expect(result).toMatchObject({ ok: true });
  });

  it("mounts a notifications file the processor's parser accepts, with every secret it names in its environment", () => {
    const objects = objectsOf(name);
    const processor = componentContainers(objects).find((c) => c.component === 'processor')?.container;
    const env = processor ? environmentOf(processor, objects) : {};
    const file = env['NOTIFICATIONS_CONFIG'];
    if (!processor || !file) return; // notifications.enabled: false, or no processor
    const text = mountedFile(objects, processor, file);
    expect(text).toBeDefined();
    const parsed = parseNotificationsConfig(parseYaml(text as string));
    expect(parsed).toMatchObject({ ok: true });
    if (parsed.ok) expect(resolveSecrets(parsed.config, env)).toMatchObject({ ok: true });
  });
});

describe('chart contents', () => {
  it('ships the built-in alert rules by default and the values file rules when given', () => {
    const rulesOf = (name: string): unknown =>
      JSON.parse(
        field<Record<string, string>>(
          ofKind(objectsOf(name), 'ConfigMap').find((c) => c.metadata.name.endsWith('-alert-rules')),
          'data',
        )?.['alert-rules.json'] ?? 'null',
      );
    const example = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'services/processor/alert-rules.example.json'), 'utf8'),
    );
    expect(rulesOf('default')).toEqual(example);
    const dev = rulesOf('dev') as { rules: { id: string; levels?: { above?: { trigger: number } }[] }[] };
    expect(dev.rules.map((r) => r.id)).toEqual(['co2-high', 'device-silent']);
    expect(dev.rules[0]?.levels?.[0]?.above?.trigger).toBe(800);
  });

  it('links to the observability files and the example rules instead of copying them', () => {
    const links = {
      'files/dashboards': 'observability/grafana/dashboards',
      'files/prometheus/telemetry-pulse.rules.yaml':
        'observability/prometheus/rules/telemetry-pulse.rules.yaml',
      'files/alert-rules.json': 'services/processor/alert-rules.example.json',
    };
    for (const [link, target] of Object.entries(links)) {
      const file = path.join(CHART_DIR, link);
      expect({ link, symlink: lstatSync(file).isSymbolicLink() }).toEqual({ link, symlink: true });
      expect(realpathSync(file)).toBe(realpathSync(path.join(REPO_ROOT, target)));
    }
  });

  it('renders the dashboards and Prometheus rules of observability/, byte for byte (one source)', () => {
    const dir = path.join(REPO_ROOT, 'observability/grafana/dashboards');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const maps = ofKind(objectsOf('monitoring'), 'ConfigMap').filter(
      (c) => c.metadata.labels?.['grafana_dashboard'] === '1',
    );
    expect(
      maps
        .map((m) => Object.keys(field<object>(m, 'data') ?? {}))
        .flat()
        .sort(),
    ).toEqual(files);
    for (const m of maps) {
      expect(m.metadata.namespace).toBe('monitoring');
      expect(m.metadata.annotations).toEqual({ grafana_folder: 'TelemetryPulse' });
      for (const [file, content] of Object.entries(field<Record<string, string>>(m, 'data') ?? {})) {
        expect(content).toBe(readFileSync(path.join(dir, file), 'utf8'));
      }
    }
    const [rule] = ofKind(objectsOf('monitoring'), 'PrometheusRule');
    const source = parseYaml(
      readFileSync(path.join(REPO_ROOT, 'observability/prometheus/rules/telemetry-pulse.rules.yaml'), 'utf8'),
    );
    expect(field(rule, 'spec.groups')).toEqual(source.groups);
  });

  it('runs each component with its own command and port', () => {
    const commands = Object.fromEntries(
      componentContainers(objectsOf('operator-beside')).map(({ component, container }) => [
        component,
        [container.command, container.ports],
      ]),
    );
    expect(commands).toEqual({
      processor: [
        ['node', 'services/processor/dist/main.js'],
        [{ name: 'http', containerPort: 9464, protocol: 'TCP' }],
      ],
      api: [['node', 'services/api/dist/main.js'], [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]],
      operator: [
        ['node', 'services/operator/dist/main.js'],
        [{ name: 'http', containerPort: 9466, protocol: 'TCP' }],
      ],
    });
    const simulator = componentContainers(objectsOf('dev')).find(
      (c) => c.component === 'simulator',
    )?.container;
    expect(simulator?.command).toEqual(['node', 'services/simulator/dist/main.js']);
    expect(simulator?.ports).toEqual([{ name: 'http', containerPort: 9465, protocol: 'TCP' }]);
  });

  it('gives the operator leader election, its env and exactly the RBAC it needs', () => {
    const objects = objectsOf('operator-beside');
    const operator = componentContainers(objects).find((c) => c.component === 'operator')?.container;
    const env = Object.fromEntries(
      (operator?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]),
    );
    expect(env).toEqual({
      OPERATOR_WATCH_NAMESPACE: '',
      OPERATOR_LEADER_ELECTION: 'true',
      OPERATOR_LEASE_NAME: 'telemetry-operator-leader',
      OPERATOR_LEASE_NAMESPACE: 'telemetry',
      POD_NAME: 'metadata.name',
      POD_UID: 'metadata.uid',
      POD_NAMESPACE: 'metadata.namespace',
      OPERATOR_PORT: '9466',
      LOG_LEVEL: 'info',
      OPERATOR_WORKERS: '4',
    });
    const deployment = ofKind(objects, 'Deployment').find(
      (d) => d.metadata.name === 'tp-telemetry-pulse-operator',
    );
    expect(field(deployment, 'spec.replicas')).toBe(2);
    expect(field(deployment, 'spec.template.spec.automountServiceAccountToken')).toBe(true);

    const [clusterRole] = ofKind(objects, 'ClusterRole');
    expect(rulesOf(clusterRole)).toEqual(
      [
        'telemetrypulse.io/telemetrypipelines: get,list,watch,update,patch',
        'telemetrypulse.io/telemetrypipelines/status: get,update,patch',
        'telemetrypulse.io/telemetrypipelines/finalizers: update',
        'apps/deployments: get,list,watch,create,update,patch,delete',
        '/services: get,list,watch,create,update,patch,delete',
        '/configmaps: get,list,watch,create,update,patch,delete',
        '/serviceaccounts: get,list,watch,create,update,patch,delete',
        '/pods: get,list,watch',
        '/secrets: get,list,watch',
        '/events: create,patch',
        'events.k8s.io/events: create,patch',
        'keda.sh/scaledobjects: get,list,watch,create,update,patch,delete',
      ].sort(),
    );
    // The same rules as the manifests for installs without Helm (k8s/operator/rbac.yaml).
    const plain = readFileSync(path.join(REPO_ROOT, 'k8s/operator/rbac.yaml'), 'utf8')
      .split(/^---$/m)
      .map((doc) => parseYaml(doc) as KubeObject);
    expect(rulesOf(plain.find((o) => o.kind === 'ClusterRole'))).toEqual(rulesOf(clusterRole));
    const [role] = ofKind(objects, 'Role');
    expect(role?.metadata.namespace).toBe('telemetry');
    expect(rulesOf(role)).toEqual(['coordination.k8s.io/leases: get,create,update']);
    const account = field<string>(deployment, 'spec.template.spec.serviceAccountName');
    for (const binding of [...ofKind(objects, 'ClusterRoleBinding'), ...ofKind(objects, 'RoleBinding')]) {
      expect(field(binding, 'subjects')).toEqual([
        { kind: 'ServiceAccount', name: account, namespace: 'telemetry' },
      ]);
    }
    expect(ofKind(objects, 'ClusterRoleBinding')).toHaveLength(1);

    // Watching one namespace: the ClusterRole is granted there only, by a RoleBinding.
    const scoped = objectsOf('operator');
    expect(ofKind(scoped, 'ClusterRoleBinding')).toEqual([]);
    expect(
      ofKind(scoped, 'RoleBinding')
        .map((b) => `${b.metadata.namespace}:${field<string>(b, 'roleRef.kind')}`)
        .sort(),
    ).toEqual(['pipelines:ClusterRole', 'telemetry:Role']);
    expect(ofKind(scoped, 'Deployment').map(describeObject)).toEqual([
      'Deployment/tp-telemetry-pulse-operator',
    ]);
  });

  it('has a helm test hook that calls the API Service', () => {
    const objects = objectsOf('default');
    const hooks = ofKind(objects, 'Pod').filter((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(hooks).toHaveLength(1);
    const [service] = ofKind(objects, 'Service').filter(
      (s) => s.metadata.labels?.['app.kubernetes.io/component'] === 'api',
    );
    const container = field<Container[]>(hooks[0], 'spec.containers')?.[0];
    const url = container?.env?.find((e) => e.name === 'API_URL')?.value;
    expect(url).toBe(`http://${service?.metadata.name}:${field<number>(service, 'spec.ports.0.port')}`);
    expect(container?.command?.join(' ')).toMatch(/\/healthz.*\/readyz/);
    expect(ofKind(objectsOf('minimal'), 'Pod')).toEqual([]);
  });
});

function rulesOf(role: KubeObject | undefined): string[] {
  const rules = field<{ apiGroups: string[]; resources: string[]; verbs: string[] }[]>(role, 'rules') ?? [];
  return rules
    .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}: ${r.verbs.join(',')}`)))
    .sort();
}

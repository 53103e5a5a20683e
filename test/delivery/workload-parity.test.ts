/**
 * The operator's Deployments and the chart's own (plain mode) for the same settings: the operator's domain
 * builds its objects for a TelemetryPipeline spec, helm renders the chart with the equivalent values, and the
 * processor, API and simulator Deployments must be equal field for field (env, probes, security contexts,
 * resources, volumes, ports, command, labels, rollout), except for the differences declared in DIFFERENCES
 * below, each with its reason. A field added on one side only, or a default changed on one side, fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseOptions, type OptionSpecs } from '@telemetry-pulse/shared/core';
import { processorOptionSpecs } from '@telemetry-pulse/processor';
import { apiOptionSpecs } from '@telemetry-pulse/api';
import { simulatorOptionSpecs } from '@telemetry-pulse/simulator';
import {
  desiredObjects,
  parseSpec,
  type Component,
  type PipelineSpec,
  type ResourceRequirements,
  type SecretKeyRef,
} from '@telemetry-pulse/operator';
import { CHART_DIR, helmTemplate, type HelmOptions } from '../support/kube';

/** Release and pipeline share a name, so object names agree and only real differences remain. */
const NAME = 'telemetry-pulse';
const NAMESPACE = 'telemetry';
const COMPONENTS: readonly Component[] = ['processor', 'api', 'simulator'];
const SPECS: Record<Component, OptionSpecs> = {
  processor: processorOptionSpecs,
  api: apiOptionSpecs,
  simulator: simulatorOptionSpecs,
};

type Obj = Record<string, unknown>;

/** values.yaml as shipped: the defaults helm merges the values below into. */
const CHART_DEFAULTS = parseYaml(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<
  string,
  { resources?: ResourceRequirements } | undefined
>;

interface Env {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: SecretKeyRef };
}

interface Scenario {
  readonly name: string;
  /** The TelemetryPipeline's spec as a user writes it. */
  readonly spec: Obj;
  /** The processor replicas the operator's scaler asks for (ignored under KEDA). */
  readonly processorReplicas: number;
}

const SECRETS = {
  kafka: { brokersFrom: { name: 'kafka', key: 'brokers' } },
  database: { urlFrom: { name: 'telemetry-db', key: 'url' } },
};
const RULES = [
  {
    kind: 'threshold',
    id: 'server-room-hot',
    sensorType: 'temperature',
    levels: [{ severity: 'critical', above: { trigger: 30, clear: 28 } }],
    forMs: 60_000,
    cooldownMs: 300_000,
  },
  { kind: 'silence', id: 'device-silent', silentMs: 600_000, severity: 'warning' },
];

const SCENARIOS: readonly Scenario[] = [
  { name: 'defaults', spec: { ...SECRETS }, processorReplicas: 2 },
  {
    name: 'TLS and SASL to Kafka from secrets, simulator on',
    spec: {
      ...SECRETS,
      kafka: {
        ...SECRETS.kafka,
        tls: 'true',
        saslMechanism: 'scram-sha-512',
        usernameFrom: { name: 'kafka-user', key: 'username' },
        passwordFrom: { name: 'kafka-user', key: 'password' },
        caFrom: { name: 'my-cluster-cluster-ca-cert', key: 'ca.crt' },
      },
      simulator: { enabled: true, rate: 200 },
      topic: { name: 'lobby.readings', partitions: 12 },
      processor: { groupId: 'lobby' },
    },
    processorReplicas: 4,
  },
  {
    name: 'resources set, simulator on',
    spec: {
      ...SECRETS,
      image: { registry: 'registry.internal:5000/tp', tag: '0.1.0-rc.1', pullPolicy: 'Always' },
      simulator: { enabled: true, resources: { requests: { cpu: '20m' }, limits: { memory: '128Mi' } } },
      processor: { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } } },
      api: { replicas: 3, resources: { requests: { cpu: '500m', memory: '256Mi' } } },
    },
    processorReplicas: 1,
  },
  { name: 'alert rules on', spec: { ...SECRETS, alertRules: RULES }, processorReplicas: 3 },
  {
    name: 'API and ingest keys from secrets',
    spec: {
      ...SECRETS,
      api: {
        keysFrom: { name: 'telemetry-api-keys', key: 'api-keys' },
        ingestKeysFrom: { name: 'gateways', key: 'keys' },
      },
    },
    processorReplicas: 1,
  },
  {
    name: 'notifications on',
    spec: {
      ...SECRETS,
      notifications: {
        config: {
          poll_interval: '1s',
          channels: [
            { name: 'am', type: 'alertmanager', url: 'http://alertmanager:9093' },
            { name: 'hook', type: 'webhook', url: 'http://hooks:8080/x', secret_env: 'HOOK_SECRET' },
          ],
        },
        secretEnv: { HOOK_SECRET: { name: 'notify', key: 'hook' } },
      },
    },
    processorReplicas: 2,
  },
  {
    name: 'simulator off, KEDA scales the processors',
    spec: {
      ...SECRETS,
      simulator: { enabled: false },
      processor: { autoscaler: 'keda', minReplicas: 0, maxReplicas: 4 },
    },
    processorReplicas: 1,
  },
];

// --- The settings as chart values: where each CRD field goes in values.yaml. ---

/** The chart values equivalent to a pipeline spec; anything the chart cannot express throws. */
function chartValues(spec: PipelineSpec, processorReplicas: number): HelmOptions {
  const { kafka } = spec;
  const slash = spec.image.registry.indexOf('/');
  const sasl =
    kafka.saslMechanism === 'none'
      ? { mechanism: 'none' }
      : {
          mechanism: kafka.saslMechanism,
          existingSecret: sameSecret(kafka.usernameFrom, kafka.passwordFrom),
          usernameKey: kafka.usernameFrom?.key,
          passwordKey: kafka.passwordFrom?.key,
        };
  // The chart has no values for the Kafka CA and client certificate: extraEnv carries them (docs/security.md).
  const tlsEnv = [
    ['KAFKA_SSL_CA', kafka.caFrom],
    ['KAFKA_SSL_CERT', kafka.certFrom],
    ['KAFKA_SSL_KEY', kafka.keyFrom],
  ].flatMap(([name, ref]) => (ref ? [{ name, valueFrom: { secretKeyRef: ref } }] : []));
  const keda = spec.processor.autoscaler === 'keda';
  const values: Obj = {
    image: {
      registry: slash < 0 ? spec.image.registry : spec.image.registry.slice(0, slash),
      repository: slash < 0 ? '' : spec.image.registry.slice(slash + 1),
      tag: spec.image.tag,
      pullPolicy: spec.image.pullPolicy,
    },
    kafka: {
      brokers: 'kafka:9092', // a literal in the chart, a Secret in the CRD: see DIFFERENCES
      tls: kafka.tls,
      sasl,
      topic: {
        name: spec.topic.name,
        dlqName: `${spec.topic.name}.dlq`,
        partitions: spec.topic.partitions,
      },
    },
    database: { existingSecret: spec.database.urlFrom.name, urlKey: spec.database.urlFrom.key },
    alertRules: { enabled: spec.alertRules !== undefined, rules: spec.alertRules ?? [] },
    notifications: spec.notifications
      ? {
          enabled: true,
          config: spec.notifications.config,
          secretEnv: Object.fromEntries(
            Object.entries(spec.notifications.secretEnv).map(([n, ref]) => [
              n,
              { secretName: ref.name, key: ref.key },
            ]),
          ),
        }
      : { enabled: false },
    autoscaling: keda
      ? { mode: 'keda', minReplicas: spec.processor.minReplicas, maxReplicas: spec.processor.maxReplicas }
      : { mode: 'none' },
    processor: {
      groupId: spec.processor.groupId,
      replicaCount: processorReplicas,
      extraEnv: tlsEnv,
      ...resourceValues('processor', spec.processor.resources),
    },
    api: {
      replicaCount: spec.api.replicas,
      ...(spec.api.keysFrom
        ? { apiKeys: { existingSecret: spec.api.keysFrom.name, key: spec.api.keysFrom.key } }
        : {}),
      ...(spec.api.ingestKeysFrom
        ? { ingestKeys: { existingSecret: spec.api.ingestKeysFrom.name, key: spec.api.ingestKeysFrom.key } }
        : {}),
      extraEnv: tlsEnv,
      ...resourceValues('api', spec.api.resources),
    },
    simulator: {
      enabled: spec.simulator.enabled,
      env: { SIM_RATE: String(spec.simulator.rate) },
      extraEnv: tlsEnv,
      ...resourceValues('simulator', spec.simulator.resources),
    },
  };
  return {
    release: NAME,
    namespace: NAMESPACE,
    values,
    includeTests: false,
    ...(keda ? { apiVersions: ['keda.sh/v1alpha1'] } : {}),
  };
}

/**
 * A pipeline's resources replace the defaults; helm merges values maps into the chart's defaults instead, so
 * every default key the pipeline leaves out is set to null, which removes it.
 */
function resourceValues(component: Component, resources: ResourceRequirements | undefined): Obj {
  if (!resources) return {};
  const defaults = CHART_DEFAULTS[component]?.resources ?? {};
  const values: Obj = {};
  for (const kind of ['requests', 'limits'] as const) {
    const given = resources[kind];
    const nulls = Object.fromEntries(Object.keys(defaults[kind] ?? {}).map((k) => [k, null]));
    values[kind] = given ? { ...nulls, ...given } : null;
  }
  return { resources: values };
}

function sameSecret(a: SecretKeyRef | undefined, b: SecretKeyRef | undefined): string {
  if (!a || !b || a.name !== b.name)
    throw new Error(
      'the chart reads the SASL user name and password from one Secret (kafka.sasl.existingSecret)',
    );
  return a.name;
}

// --- The differences that are meant to be there. ---

type Side = 'chart' | 'operator';

/** Variables only the chart sets, from values the CRD does not have; their defaults are the services' own. */
const CHART_ONLY_ENV: Readonly<Record<string, string>> = {
  DATABASE_POOL_MAX: 'database.poolMax',
  LOG_LEVEL: 'logLevel',
  SIM_CREATE_TOPICS: 'simulator.createTopics',
};

/** Removes or rewrites one difference in a Deployment; returns whether the difference was there. */
type Edit = (deployment: Obj, component: Component) => boolean;

interface Difference {
  readonly what: string;
  readonly why: string;
  readonly chart?: Edit;
  readonly operator?: Edit;
}

/**
 * Every way the two Deployments may differ for the same settings, and why. Anything not listed must be
 * equal; an entry that no scenario needs any more fails too, so the list stays true.
 */
const DIFFERENCES: readonly Difference[] = [
  {
    what: 'labels helm.sh/chart and app.kubernetes.io/managed-by: Helm',
    why: 'who manages the objects: Helm there, the operator here (its informers select managed-by)',
    chart: (d) => dropLabel(d, 'helm.sh/chart') && dropLabel(d, 'app.kubernetes.io/managed-by'),
    operator: (d) => dropLabel(d, 'app.kubernetes.io/managed-by'),
  },
  {
    what: 'label telemetrypulse.io/pipeline',
    why: 'the pipeline a managed object belongs to; a release has app.kubernetes.io/instance for that',
    operator: (d) => dropLabel(d, 'telemetrypulse.io/pipeline'),
  },
  {
    what: 'metadata.ownerReferences and the telemetrypulse.io/spec-hash annotation',
    why: 'the operator owns its objects (garbage collection) and tells its own changes from drift by the hash',
    operator: (d) =>
      drop(d, ['metadata', 'ownerReferences']) &&
      drop(d, ['metadata', 'annotations', 'telemetrypulse.io/spec-hash']),
  },
  {
    what: 'pod annotation checksum/alert-rules (chart) and telemetrypulse.io/alert-rules-hash (operator)',
    why: 'both roll the processors when the rules change; each hashes its own rendering of the rules',
    chart: (d) => drop(d, ['spec', 'template', 'metadata', 'annotations', 'checksum/alert-rules']),
    operator: (d) =>
      drop(d, ['spec', 'template', 'metadata', 'annotations', 'telemetrypulse.io/alert-rules-hash']),
  },
  {
    what: 'pod annotation checksum/notifications (chart) and telemetrypulse.io/notifications-hash (operator)',
    why: 'both roll the processors when the notifications file changes; each hashes its own rendering of it',
    chart: (d) => drop(d, ['spec', 'template', 'metadata', 'annotations', 'checksum/notifications']),
    operator: (d) =>
      drop(d, ['spec', 'template', 'metadata', 'annotations', 'telemetrypulse.io/notifications-hash']),
  },
  {
    what: 'serviceAccountName: <fullname> (chart) and <pipeline>-workload (operator)',
    why: 'the operator names the pipeline ServiceAccount apart from its Deployments; neither pod mounts a token',
    chart: (d) => drop(d, ['spec', 'template', 'spec', 'serviceAccountName']),
    operator: (d) => drop(d, ['spec', 'template', 'spec', 'serviceAccountName']),
  },
  {
    what: 'KAFKA_BROKERS: a literal value (chart) and a secretKeyRef (operator)',
    why: 'the chart takes kafka.brokers as a value; a TelemetryPipeline holds no connection detail, only Secret references',
    chart: (d) => replaceEnv(d, 'KAFKA_BROKERS', (e) => e.value !== undefined),
    operator: (d) => replaceEnv(d, 'KAFKA_BROKERS', (e) => e.valueFrom?.secretKeyRef !== undefined),
  },
  {
    what: 'KAFKA_CLIENT_ID: kafka.clientId or the service default (chart), <pipeline>-<component> (operator)',
    why: 'the CRD has no clientId field; the chart keeps the value users may have set broker quotas on',
    operator: (d, c) => dropEnv(d, 'KAFKA_CLIENT_ID', `${NAME}-${c}`),
  },
  ...Object.entries(CHART_ONLY_ENV).map(([name, value]): Difference => ({
    what: `${name} (chart only)`,
    why: `the chart's ${value}, which the CRD does not have; its default is the service's own (checked below)`,
    chart: (d) => dropEnv(d, name),
  })),
];

// Edits used above: each returns whether it found what it removes.

function at(o: Obj, path: readonly string[]): Obj | undefined {
  let cur: unknown = o;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[key];
  }
  return cur !== null && typeof cur === 'object' ? (cur as Obj) : undefined;
}

function drop(o: Obj, path: readonly string[]): boolean {
  const parent = at(o, path.slice(0, -1));
  const key = path[path.length - 1] as string;
  if (!parent || !(key in parent)) return false;
  Reflect.deleteProperty(parent, key);
  if (Object.keys(parent).length === 0 && path.length > 1) drop(o, path.slice(0, -1));
  return true;
}

/** A label on the Deployment and on its pods (the selector never carries these). */
function dropLabel(d: Obj, key: string): boolean {
  const onObject = drop(d, ['metadata', 'labels', key]);
  const onPods = drop(d, ['spec', 'template', 'metadata', 'labels', key]);
  return onObject && onPods;
}

function containerOf(d: Obj): Obj {
  const containers = at(d, ['spec', 'template', 'spec'])?.['containers'] as Obj[] | undefined;
  if (containers?.length !== 1) throw new Error('expected one container');
  return containers[0] as Obj;
}

function envOf(d: Obj): Env[] {
  return (containerOf(d)['env'] as Env[] | undefined) ?? [];
}

/** Drops a variable (with this literal value when given). */
function dropEnv(d: Obj, name: string, value?: string): boolean {
  const env = envOf(d);
  const i = env.findIndex((e) => e.name === name && (value === undefined || e.value === value));
  if (i < 0) return false;
  env.splice(i, 1);
  return true;
}

/** Replaces a variable's source with a placeholder, so both sides must still set it. */
function replaceEnv(d: Obj, name: string, matches: (e: Env) => boolean): boolean {
  const e = envOf(d).find((v) => v.name === name);
  if (!e || !matches(e)) return false;
  delete e.valueFrom;
  e.value = '<declared difference>';
  return true;
}

// --- Rendering both sides. ---

interface Rendered {
  readonly chart: Map<Component, Obj>;
  readonly operator: Map<Component, Obj>;
  readonly chartObjects: Obj[];
  readonly operatorObjects: Obj[];
}

function byComponent(objects: readonly Obj[]): Map<Component, Obj> {
  const out = new Map<Component, Obj>();
  for (const o of objects) {
    const component = at(o, ['metadata', 'labels'])?.['app.kubernetes.io/component'];
    if (o['kind'] === 'Deployment' && COMPONENTS.includes(component as Component))
      out.set(component as Component, structuredClone(o));
  }
  return out;
}

async function render(s: Scenario): Promise<Rendered> {
  const parsed = parseSpec(s.spec);
  if (!parsed.ok) throw new Error(`${s.name}: ${parsed.problems.join('; ')}`);
  const operatorObjects = JSON.parse(
    JSON.stringify(
      desiredObjects({ name: NAME, namespace: NAMESPACE, uid: 'uid-1' }, parsed.spec, s.processorReplicas),
    ),
  ) as Obj[];
  const { objects } = await helmTemplate(chartValues(parsed.spec, s.processorReplicas));
  const chartObjects = objects as unknown as Obj[];
  return {
    chart: byComponent(chartObjects),
    operator: byComponent(operatorObjects),
    chartObjects,
    operatorObjects,
  };
}

/** Which declared differences each side used, over every scenario and component. */
const used = new Set<string>();

function withoutDeclared(deployment: Obj, side: Side, component: Component): Obj {
  const d = structuredClone(deployment);
  for (const diff of DIFFERENCES) {
    const edit = diff[side];
    if (edit?.(d, component)) used.add(`${side}: ${diff.what}`);
  }
  // Order of env is not meaning: nothing refers to another variable with $(NAME).
  envOf(d).sort((a, b) => (a.name < b.name ? -1 : 1));
  return d;
}

const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  for (const s of SCENARIOS) rendered.set(s.name, await render(s));
});

const renderedOf = (name: string): Rendered => {
  const r = rendered.get(name);
  if (!r) throw new Error(`${name} was not rendered`);
  return r;
};

describe.each(SCENARIOS.map((s) => s.name))('%s', (name) => {
  it('renders the same components on both sides', () => {
    const r = renderedOf(name);
    expect([...r.operator.keys()].sort()).toEqual([...r.chart.keys()].sort());
  });

  it.each(COMPONENTS)('%s: the same Deployment but for the declared differences', (component) => {
    const r = renderedOf(name);
    const chart = r.chart.get(component);
    const operator = r.operator.get(component);
    if (!chart || !operator) return; // not rendered on either side (checked above)
    // A crash-looping pod's status carries its last log lines, whoever deployed it.
    expect(containerOf(operator)['terminationMessagePolicy']).toBe('FallbackToLogsOnError');
    expect(withoutDeclared(operator, 'operator', component)).toEqual(
      withoutDeclared(chart, 'chart', component),
    );
  });

  it('gives the processor the same alert rules', () => {
    const r = renderedOf(name);
    const rulesOf = (objects: readonly Obj[]): unknown => {
      const map = objects.find(
        (o) => o['kind'] === 'ConfigMap' && at(o, ['metadata'])?.['name'] === `${NAME}-alert-rules`,
      );
      const text = at(map ?? {}, ['data'])?.['alert-rules.json'];
      return typeof text === 'string' ? JSON.parse(text) : undefined;
    };
    expect(rulesOf(r.operatorObjects)).toEqual(rulesOf(r.chartObjects));
  });

  it('gives the processor the same notifications file', () => {
    const r = renderedOf(name);
    const fileOf = (objects: readonly Obj[]): unknown => {
      const map = objects.find(
        (o) => o['kind'] === 'ConfigMap' && at(o, ['metadata'])?.['name'] === `${NAME}-notifications`,
      );
      const text = at(map ?? {}, ['data'])?.['notifications.yaml'];
      return typeof text === 'string' ? JSON.parse(text) : undefined;
    };
    expect(fileOf(r.operatorObjects)).toEqual(fileOf(r.chartObjects));
  });
});

it('declares no difference that no scenario has any more', () => {
  const declared = DIFFERENCES.flatMap((d) =>
    (['chart', 'operator'] as const).filter((side) => d[side]).map((side) => `${side}: ${d.what}`),
  );
  expect(declared.filter((d) => !used.has(d))).toEqual([]);
});

it("sets chart-only variables to the services' own defaults, so operator pods behave the same", () => {
  const { chart } = renderedOf('TLS and SASL to Kafka from secrets, simulator on');
  const parse = (component: Component, vars: Record<string, string>) => {
    const parsed = parseOptions(SPECS[component], [], vars);
    return parsed.help ? undefined : parsed.config;
  };
  for (const component of COMPONENTS) {
    const deployment = chart.get(component);
    if (!deployment) throw new Error(`the scenario renders no ${component}`);
    const env = envOf(deployment).filter((e) => e.name in CHART_ONLY_ENV);
    const set = Object.fromEntries(env.map((e) => [e.name, e.value ?? '']));
    expect(Object.keys(set).length).toBeGreaterThan(0);
    expect({ component, config: parse(component, set) }).toEqual({ component, config: parse(component, {}) });
  }
});

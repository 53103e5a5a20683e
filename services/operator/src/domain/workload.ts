import {
  labels,
  objectName,
  ownerReference,
  PORTS,
  selectorLabels,
  type Component,
  type PipelineRef,
} from './names';
import type { PipelineSpec, ResourceRequirements, SecretKeyRef } from './spec';
import type { KubeObject } from './types';
import {
  CONTAINER_SECURITY_CONTEXT,
  DEFAULT_RESOURCES,
  POD_SECURITY_CONTEXT,
  probes,
  REVISION_HISTORY_LIMIT,
  strategy,
  TERMINATION_GRACE_SECONDS,
  TMP_SIZE_LIMIT,
  topologySpread,
} from './workload-defaults';

type EnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: SecretKeyRef } };

const RULES_DIR = '/etc/telemetry-pulse';
const RULES_FILE = 'alert-rules.json';
// Beside, not under, the rules: a volume mounted inside another read-only volume needs a directory there.
const NOTIFY_DIR = '/etc/telemetry-pulse-notifications';
const NOTIFY_FILE = 'notifications.yaml';

const secretEnv = (name: string, ref: SecretKeyRef): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/** Kafka connection variables: values from secrets, never literals (KAFKA_* as the services read them). */
export function kafkaEnv(spec: PipelineSpec, clientId: string): EnvVar[] {
  const k = spec.kafka;
  const env: EnvVar[] = [
    secretEnv('KAFKA_BROKERS', k.brokersFrom),
    { name: 'KAFKA_CLIENT_ID', value: clientId },
    { name: 'KAFKA_SSL', value: k.tls },
    { name: 'KAFKA_SASL_MECHANISM', value: k.saslMechanism },
  ];
  if (k.usernameFrom) env.push(secretEnv('KAFKA_SASL_USERNAME', k.usernameFrom));
  if (k.passwordFrom) env.push(secretEnv('KAFKA_SASL_PASSWORD', k.passwordFrom));
  // PEM text straight from the Secret (the services read KAFKA_SSL_CA etc. as text or as _FILE paths).
  if (k.caFrom) env.push(secretEnv('KAFKA_SSL_CA', k.caFrom));
  if (k.certFrom) env.push(secretEnv('KAFKA_SSL_CERT', k.certFrom));
  if (k.keyFrom) env.push(secretEnv('KAFKA_SSL_KEY', k.keyFrom));
  return env;
}

/** The variables each service reads (see the option tables of docs/configuration.md). */
export function componentEnv(
  p: PipelineRef,
  spec: PipelineSpec,
  component: Component,
  rules: boolean,
  notifications?: WorkloadOptions['notifications'],
): EnvVar[] {
  const kafka = kafkaEnv(spec, `${p.name}-${component}`);
  const topic = spec.topic.name;
  const port = String(PORTS[component]);
  switch (component) {
    case 'processor':
      return [
        ...kafka,
        secretEnv('DATABASE_URL', spec.database.urlFrom),
        { name: 'PROCESSOR_TOPIC', value: topic },
        { name: 'PROCESSOR_DLQ_TOPIC', value: `${topic}.dlq` },
        { name: 'PROCESSOR_GROUP_ID', value: spec.processor.groupId },
        { name: 'PROCESSOR_TOPIC_PARTITIONS', value: String(spec.topic.partitions) },
        { name: 'PROCESSOR_PORT', value: port },
        ...(rules ? [{ name: 'ALERT_RULES_FILE', value: `${RULES_DIR}/${RULES_FILE}` }] : []),
        ...(notifications
          ? [
              { name: 'NOTIFICATIONS_CONFIG', value: `${NOTIFY_DIR}/${NOTIFY_FILE}` },
              ...Object.entries(notifications.secretEnv)
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([name, ref]) => secretEnv(name, ref)),
            ]
          : []),
      ];
    case 'api':
      return [
        ...kafka,
        secretEnv('DATABASE_URL', spec.database.urlFrom),
        { name: 'API_PORT', value: port },
        ...(spec.api.keysFrom ? [secretEnv('API_KEYS', spec.api.keysFrom)] : []),
        ...(spec.api.ingestKeysFrom ? [secretEnv('API_INGEST_KEYS', spec.api.ingestKeysFrom)] : []),
        { name: 'PROCESSOR_TOPIC', value: topic },
        { name: 'PROCESSOR_GROUP_ID', value: spec.processor.groupId },
      ];
    case 'simulator':
      return [
        ...kafka,
        { name: 'SIM_TOPIC', value: topic },
        { name: 'SIM_DLQ_TOPIC', value: `${topic}.dlq` },
        { name: 'SIM_PARTITIONS', value: String(spec.topic.partitions) },
        { name: 'SIM_RATE', value: String(spec.simulator.rate) },
        { name: 'SIM_METRICS_PORT', value: port },
      ];
  }
}

export interface WorkloadOptions {
  readonly component: Component;
  /** Omitted when something else (KEDA) owns the replica count. */
  readonly replicas: number | undefined;
  /** The chart's defaults when undefined (workload-defaults.ts). */
  readonly resources: ResourceRequirements | undefined;
  /** Alert rules ConfigMap to mount, with the hash of its content (a change rolls the pods). */
  readonly rules?: { readonly configMap: string; readonly hash: string };
  /** Notifications ConfigMap to mount, its hash, and the secret variables its channels name. */
  readonly notifications?: {
    readonly configMap: string;
    readonly hash: string;
    readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
  };
}

/** The image tag as a label value, cut as the chart cuts it (63 characters, no trailing dash). */
const versionLabel = (tag: string): string => tag.slice(0, 63).replace(/-$/, '');

/**
 * A Deployment under the restricted Pod Security Standard: non-root uid 1000, no privilege escalation, no
 * capabilities, RuntimeDefault seccomp, read-only root filesystem with a writable emptyDir /tmp. Everything
 * the CRD does not set is the chart's default (workload-defaults.ts), so operator and plain mode run alike.
 */
export function deployment(p: PipelineRef, spec: PipelineSpec, opts: WorkloadOptions): KubeObject {
  const { component } = opts;
  const image = `${spec.image.registry}/${component}:${spec.image.tag}`;
  const podLabels = { ...labels(p, component), 'app.kubernetes.io/version': versionLabel(spec.image.tag) };
  const selector = selectorLabels(p, component);
  const volumes: unknown[] = [{ name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE_LIMIT } }];
  const mounts: unknown[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (opts.rules) {
    volumes.push({
      name: 'alert-rules',
      configMap: { name: opts.rules.configMap, items: [{ key: RULES_FILE, path: RULES_FILE }] },
    });
    mounts.push({ name: 'alert-rules', mountPath: RULES_DIR, readOnly: true });
  }
  if (opts.notifications) {
    volumes.push({
      name: 'notifications',
      configMap: { name: opts.notifications.configMap, items: [{ key: NOTIFY_FILE, path: NOTIFY_FILE }] },
    });
    mounts.push({ name: 'notifications', mountPath: NOTIFY_DIR, readOnly: true });
  }
  const annotations = {
    ...(opts.rules ? { 'telemetrypulse.io/alert-rules-hash': opts.rules.hash } : {}),
    ...(opts.notifications ? { 'telemetrypulse.io/notifications-hash': opts.notifications.hash } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: objectName(p, component),
      namespace: p.namespace,
      labels: podLabels,
      ownerReferences: [ownerReference(p)],
    },
    spec: {
      ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
      revisionHistoryLimit: REVISION_HISTORY_LIMIT,
      selector: { matchLabels: selector },
      ...strategy(component),
      template: {
        metadata: {
          labels: podLabels,
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        spec: {
          serviceAccountName: objectName(p, 'workload'),
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: POD_SECURITY_CONTEXT,
          ...topologySpread(component, selector),
          containers: [
            {
              name: component,
              image,
              imagePullPolicy: spec.image.pullPolicy,
              command: ['node', `services/${component}/dist/main.js`],
              ports: [{ name: 'http', containerPort: PORTS[component], protocol: 'TCP' }],
              env: componentEnv(p, spec, component, opts.rules !== undefined, opts.notifications),
              ...probes(component),
              resources: opts.resources ?? DEFAULT_RESOURCES[component],
              securityContext: CONTAINER_SECURITY_CONTEXT,
              // A crash-looping pod's status then carries its last log lines.
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

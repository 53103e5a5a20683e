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

type EnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: SecretKeyRef } };

const RULES_DIR = '/etc/telemetry-pulse';
const UID = 1000; // the images' non-root user

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
        ...(rules ? [{ name: 'ALERT_RULES_FILE', value: `${RULES_DIR}/alert-rules.json` }] : []),
      ];
    case 'api':
      return [
        ...kafka,
        secretEnv('DATABASE_URL', spec.database.urlFrom),
        { name: 'API_PORT', value: port },
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

const probe = (path: string, periodSeconds: number) => ({
  httpGet: { path, port: 'http' },
  periodSeconds,
  timeoutSeconds: 3,
  failureThreshold: 3,
});

export interface WorkloadOptions {
  readonly component: Component;
  /** Omitted when something else (KEDA) owns the replica count. */
  readonly replicas: number | undefined;
  readonly resources: ResourceRequirements | undefined;
  /** Alert rules ConfigMap to mount, with the hash of its content (a change rolls the pods). */
  readonly rules?: { readonly configMap: string; readonly hash: string };
}

/**
 * A Deployment under the restricted Pod Security Standard: non-root uid 1000, no privilege escalation, no
 * capabilities, RuntimeDefault seccomp, read-only root filesystem with a writable emptyDir /tmp.
 */
export function deployment(p: PipelineRef, spec: PipelineSpec, opts: WorkloadOptions): KubeObject {
  const { component } = opts;
  const image = `${spec.image.registry}/${component}:${spec.image.tag}`;
  const volumes: unknown[] = [{ name: 'tmp', emptyDir: {} }];
  const mounts: unknown[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (opts.rules) {
    volumes.push({ name: 'alert-rules', configMap: { name: opts.rules.configMap } });
    mounts.push({ name: 'alert-rules', mountPath: RULES_DIR, readOnly: true });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: objectName(p, component),
      namespace: p.namespace,
      labels: labels(p, component),
      ownerReferences: [ownerReference(p)],
    },
    spec: {
      ...(opts.replicas === undefined ? {} : { replicas: opts.replicas }),
      selector: { matchLabels: selectorLabels(p, component) },
      template: {
        metadata: {
          labels: labels(p, component),
          ...(opts.rules ? { annotations: { 'telemetrypulse.io/alert-rules-hash': opts.rules.hash } } : {}),
        },
        spec: {
          serviceAccountName: objectName(p, 'workload'),
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: UID,
            runAsGroup: UID,
            fsGroup: UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: component,
              image,
              imagePullPolicy: spec.image.pullPolicy,
              command: ['node', `services/${component}/dist/main.js`],
              ports: [{ name: 'http', containerPort: PORTS[component], protocol: 'TCP' }],
              env: componentEnv(p, spec, component, opts.rules !== undefined),
              livenessProbe: probe('/healthz', 10),
              readinessProbe: probe('/readyz', 5),
              ...(opts.resources ? { resources: opts.resources } : {}),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

import { createHash } from 'node:crypto';
import {
  labels,
  objectName,
  ownerReference,
  PORTS,
  selectorLabels,
  SPEC_HASH_ANNOTATION,
  type PipelineRef,
} from './names';
import { alertRulesDocument, notificationsDocument, type PipelineSpec } from './spec';
import type { KubeObject } from './types';
import { deployment } from './workload';

/** Short stable hash of any JSON value (object keys sorted). */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Stamps the hash of the object's own content, before the annotation is added. */
function stamped(o: KubeObject): KubeObject {
  const hash = hashOf(o);
  return {
    ...o,
    metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [SPEC_HASH_ANNOTATION]: hash } },
  };
}

/**
 * Every object a pipeline needs, as the operator would apply it: ServiceAccount, alert-rules and notifications ConfigMaps,
 * processor/api/simulator Deployments, Services for the API and the processor's metrics, and a KEDA
 * ScaledObject when KEDA scales the processors. `processorReplicas` comes from the lag-aware scaler; it is
 * left out when KEDA owns the count.
 */
export function desiredObjects(p: PipelineRef, spec: PipelineSpec, processorReplicas: number): KubeObject[] {
  const meta = (name: string, component?: 'processor' | 'api' | 'simulator') => ({
    name,
    namespace: p.namespace,
    labels: labels(p, component),
    ownerReferences: [ownerReference(p)],
  });
  const out: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(objectName(p, 'workload')),
      automountServiceAccountToken: false,
    },
  ];
  const rulesDoc = alertRulesDocument(spec);
  const rules = rulesDoc && { configMap: objectName(p, 'alert-rules'), hash: hashOf(rulesDoc) };
  if (rules) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(rules.configMap, 'processor'),
      data: { 'alert-rules.json': `${JSON.stringify(rulesDoc, null, 2)}\n` },
    });
  }
  const notifyDoc = notificationsDocument(spec);
  const notifications = notifyDoc && {
    configMap: objectName(p, 'notifications'),
    hash: hashOf(notifyDoc),
    secretEnv: spec.notifications?.secretEnv ?? {},
  };
  if (notifications) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(notifications.configMap, 'processor'),
      data: { 'notifications.yaml': `${JSON.stringify(notifyDoc, null, 2)}\n` },
    });
  }
  const keda = spec.processor.autoscaler === 'keda';
  out.push(
    deployment(p, spec, {
      component: 'processor',
      replicas: keda ? undefined : processorReplicas,
      resources: spec.processor.resources,
      ...(rules ? { rules } : {}),
      ...(notifications ? { notifications } : {}),
    }),
    service(p, 'processor', 'ClusterIP', PORTS.processor, meta),
    deployment(p, spec, { component: 'api', replicas: spec.api.replicas, resources: spec.api.resources }),
    service(p, 'api', spec.api.service.type, spec.api.service.port, meta),
  );
  if (spec.simulator.enabled) {
    out.push(
      deployment(p, spec, { component: 'simulator', replicas: 1, resources: spec.simulator.resources }),
    );
  }
  if (keda) out.push(scaledObject(p, spec, meta(objectName(p, 'processor'), 'processor')));
  return out.map(stamped);
}

function service(
  p: PipelineRef,
  component: 'processor' | 'api',
  type: string,
  port: number,
  meta: (name: string, component: 'processor' | 'api') => KubeObject['metadata'],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(objectName(p, component), component),
    spec: {
      type,
      selector: selectorLabels(p, component),
      ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** KEDA's kafka scaler over the same group and topic, with the operator's bounds and stabilisation. */
function scaledObject(p: PipelineRef, spec: PipelineSpec, metadata: KubeObject['metadata']): KubeObject {
  const s = spec.processor;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata,
    spec: {
      scaleTargetRef: { name: objectName(p, 'processor') },
      minReplicaCount: s.minReplicas,
      maxReplicaCount: Math.min(s.maxReplicas, spec.topic.partitions),
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: s.scaleDownStabilizationSeconds } },
        },
      },
      triggers: [
        {
          type: 'kafka',
          metadata: {
            bootstrapServersFromEnv: 'KAFKA_BROKERS',
            consumerGroup: s.groupId,
            topic: spec.topic.name,
            lagThreshold: String(s.targetLagPerReplica),
            allowIdleConsumers: 'false',
          },
        },
      ],
    },
  };
}

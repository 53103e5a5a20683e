import { API_VERSION, KIND, type KubeObject, type OwnerReference } from './types';

export type Component = 'processor' | 'api' | 'simulator';

/** The pipeline a set of objects belongs to: what naming, labels and owner references need. */
export interface PipelineRef {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

export const MANAGED_BY = 'telemetry-pulse-operator';
export const PIPELINE_LABEL = 'telemetrypulse.io/pipeline';
/** Hash of what the operator last wrote; tells a spec change (hash differs) from drift (hash equal). */
export const SPEC_HASH_ANNOTATION = 'telemetrypulse.io/spec-hash';
/** Selects everything the operator manages, for its informers. */
export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

/** Container ports, the same the services default to. */
export const PORTS: Readonly<Record<Component, number>> = { processor: 9464, api: 8080, simulator: 9465 };

export const objectName = (
  p: PipelineRef,
  component: Component | 'alert-rules' | 'notifications' | 'workload',
): string => `${p.name}-${component}`;

/** Labels on every managed object; `component` ones also select pods, so they never change. */
export function labels(p: PipelineRef, component?: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'telemetry-pulse',
    'app.kubernetes.io/instance': p.name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': 'telemetry-pulse',
    [PIPELINE_LABEL]: p.name,
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}

export function selectorLabels(p: PipelineRef, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'telemetry-pulse',
    'app.kubernetes.io/instance': p.name,
    'app.kubernetes.io/component': component,
  };
}

/** Makes the pipeline the controlling owner, so the garbage collector deletes the object with it. */
export function ownerReference(p: PipelineRef): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: p.name,
    uid: p.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `Kind/namespace/name`: how actions and observed objects are matched. */
export function objectKey(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Whether the pipeline controls this object (its owner reference carries the pipeline's uid). */
export function isOwnedBy(o: KubeObject, p: PipelineRef): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.uid === p.uid && r.controller === true);
}

/**
 * The shapes the operator's pure core works on: plain JSON as the API server sends it, typed only as far as
 * the core reads it. No client library types here (the core is tested without a cluster).
 */

export const GROUP = 'telemetrypulse.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'TelemetryPipeline';
export const PLURAL = 'telemetrypipelines';
/** Kept on every pipeline until the operator has cleaned up after it. */
export const FINALIZER = 'telemetrypulse.io/cleanup';
/** The field manager name of every server-side apply and patch the operator sends. */
export const FIELD_MANAGER = 'telemetry-pulse-operator';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly finalizers?: readonly string[];
  readonly deletionTimestamp?: string;
}

/** Any Kubernetes object: apiVersion, kind, metadata, and whatever else it carries. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/**
 * `Ready`, `Reconciling` and `Stalled` follow the kstatus conventions (Flux, Argo CD, `kubectl wait` read
 * them); `Progressing` and `Degraded` say the same in the Deployment's words, for readers used to those.
 */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled' | 'Progressing' | 'Degraded';

/** Something that keeps the pipeline from its desired state: a reason in CamelCase and a sentence. */
export interface Problem {
  readonly reason: string;
  readonly message: string;
}

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export interface PipelineStatus {
  readonly observedGeneration?: number;
  readonly conditions?: readonly Condition[];
  readonly processor?: {
    readonly replicas: number;
    readonly readyReplicas: number;
    readonly desiredReplicas: number;
    readonly lastScaleTime?: string;
  };
  readonly totalLag?: number;
}

export interface TelemetryPipeline extends KubeObject {
  readonly spec: unknown;
  readonly status?: PipelineStatus;
}

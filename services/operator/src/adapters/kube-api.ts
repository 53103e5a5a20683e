import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { PipelineEvent } from '../domain/status';
import {
  API_VERSION,
  FIELD_MANAGER,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
  type KubeObject,
  type PipelineStatus,
  type TelemetryPipeline,
} from '../domain/types';

/** The API calls the controller makes; one real implementation over @kubernetes/client-node. */
export interface KubeApi {
  /** Server-side apply (`application/apply-patch+yaml`, force) as the operator's field manager. */
  apply(object: KubeObject): Promise<void>;
  /** Background deletion; an object already gone is fine. */
  delete(object: KubeObject): Promise<void>;
  /**
   * Sets the pipeline's finalizers with a merge patch that carries the resourceVersion read, so a pipeline
   * changed meanwhile answers 409 Conflict instead of losing someone else's finalizer.
   */
  setFinalizers(pipeline: TelemetryPipeline, finalizers: readonly string[]): Promise<void>;
  /** Merge patch of the status subresource. */
  patchStatus(pipeline: TelemetryPipeline, status: PipelineStatus): Promise<void>;
  /** The keys of a Secret, or undefined when it does not exist. */
  secretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  recordEvent(pipeline: TelemetryPipeline, event: PipelineEvent): Promise<void>;
}

export const statusCodeOf = (err: unknown): number | undefined =>
  err instanceof ApiException ? err.code : (err as { statusCode?: number } | null)?.statusCode;

/**
 * A stable one-line description of a failed call, for status messages: the API server's own message
 * (`Deployment.apps "x" is invalid: …`), without the request's changing headers.
 */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return `HTTP ${err.code}: ${typeof message === 'string' ? message : 'request failed'}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Objects as plain JSON: client-node returns class instances with Date fields. */
export const plain = <T>(o: unknown): T => JSON.parse(JSON.stringify(o)) as T;

const asClientObject = (o: KubeObject): KubernetesObject => o as unknown as KubernetesObject;

export function createKubeApi(kc: KubeConfig, component = 'telemetry-pulse-operator'): KubeApi {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const ref = (p: TelemetryPipeline) => ({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: p.metadata.namespace ?? 'default',
    name: p.metadata.name,
  });

  return {
    async apply(object) {
      await objects.patch(
        asClientObject(object),
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    },
    async delete(object) {
      try {
        await objects.delete(
          asClientObject(object),
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      } catch (err) {
        if (statusCodeOf(err) !== 404) throw err;
      }
    },
    async setFinalizers(pipeline, finalizers) {
      const body = {
        metadata: { resourceVersion: pipeline.metadata.resourceVersion, finalizers: [...finalizers] },
      };
      await custom.patchNamespacedCustomObject(
        { ...ref(pipeline), body, fieldManager: FIELD_MANAGER },
        merge,
      );
    },
    async patchStatus(pipeline, status) {
      await custom.patchNamespacedCustomObjectStatus(
        { ...ref(pipeline), body: { status }, fieldManager: FIELD_MANAGER },
        merge,
      );
    },
    async secretData(namespace, name) {
      try {
        const secret = await core.readNamespacedSecret({ namespace, name });
        return Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        );
      } catch (err) {
        if (statusCodeOf(err) === 404) return undefined;
        throw err;
      }
    },
    async recordEvent(pipeline, event) {
      const now = new Date();
      const namespace = pipeline.metadata.namespace ?? 'default';
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${pipeline.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: API_VERSION,
            kind: KIND,
            name: pipeline.metadata.name,
            namespace,
            uid: pipeline.metadata.uid,
            resourceVersion: pipeline.metadata.resourceVersion,
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component },
          reportingComponent: `telemetrypulse.io/${component}`,
          reportingInstance: component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    },
  };
}

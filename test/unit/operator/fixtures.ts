import { desiredObjects } from '../../../services/operator/src/domain/desired';
import { pipelineRef } from '../../../services/operator/src/domain/plan';
import { parseSpec, type PipelineSpec } from '../../../services/operator/src/domain/spec';
import {
  API_VERSION,
  FINALIZER,
  KIND,
  type KubeObject,
  type TelemetryPipeline,
} from '../../../services/operator/src/domain/types';

/** The smallest valid spec: connection secrets only, every other field defaulted. */
export const MINIMAL_SPEC = {
  kafka: { brokersFrom: { name: 'kafka', key: 'brokers' } },
  database: { urlFrom: { name: 'postgres', key: 'url' } },
};

export function pipeline(
  spec: Record<string, unknown> = MINIMAL_SPEC,
  meta: Partial<TelemetryPipeline['metadata']> = {},
): TelemetryPipeline {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: 'lobby',
      namespace: 'buildings',
      uid: 'uid-1',
      generation: 1,
      finalizers: [FINALIZER],
      ...meta,
    },
    spec,
  };
}

export function specOf(raw: Record<string, unknown>): PipelineSpec {
  const parsed = parseSpec(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.spec;
}

/** The objects as the operator would apply them, for use as "observed". */
export function applied(p: TelemetryPipeline, replicas = 1): KubeObject[] {
  return desiredObjects(pipelineRef(p), specOf(p.spec as Record<string, unknown>), replicas);
}

/** A copy with `fn` applied to a deep clone, like an edit made by someone else. */
export function edited<T>(o: T, fn: (copy: T) => void): T {
  const copy = structuredClone(o);
  fn(copy);
  return copy;
}

export const byKind = (objects: readonly KubeObject[], kind: string, name?: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''}`);
  return found;
};

/** The value, or a test failure naming what was missing (instead of a non-null assertion). */
export function present<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be present`);
  return value;
}

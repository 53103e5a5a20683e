import { objectKey, SPEC_HASH_ANNOTATION } from './names';
import { sameQuantity } from './quantity';
import { FINALIZER, type KubeObject, type ObjectMeta } from './types';

/** What the controller should do next, in order. Each action is one API call. */
export type Action =
  | { readonly type: 'addFinalizer' }
  | { readonly type: 'removeFinalizer' }
  /** Server-side apply of the whole desired object. */
  | { readonly type: 'apply'; readonly reason: 'create' | 'update' | 'drift'; readonly object: KubeObject }
  | { readonly type: 'delete'; readonly reason: 'obsolete' | 'cleanup'; readonly object: KubeObject };

export interface Desired {
  /** The pipeline's own metadata: finalizers and deletionTimestamp decide the phase. */
  readonly pipeline: ObjectMeta;
  /** Everything the pipeline should own right now (empty while it is being deleted). */
  readonly objects: readonly KubeObject[];
}

/**
 * The pure heart of the controller: desired state and the objects the pipeline owns now → actions.
 * - A live pipeline first gets the finalizer, then every missing object is created, every object that
 *   differs is re-applied (`update` when the spec behind it changed, `drift` when someone edited it), and
 *   every owned object no longer wanted (simulator switched off, KEDA switched off) is deleted.
 * - A pipeline being deleted has its objects deleted; the finalizer goes once none is left.
 * An object matches when every field the operator sets has that value; fields the API server or other
 * controllers add (defaults, status, replicas under KEDA) are not the operator's business.
 */
export function reconcile(desired: Desired, observed: readonly KubeObject[]): Action[] {
  const finalized = (desired.pipeline.finalizers ?? []).includes(FINALIZER);
  if (desired.pipeline.deletionTimestamp !== undefined) {
    if (!finalized) return [];
    const left = observed.filter((o) => o.metadata.deletionTimestamp === undefined);
    if (observed.length === 0) return [{ type: 'removeFinalizer' }];
    return left.map((object) => ({ type: 'delete', reason: 'cleanup', object }));
  }
  const actions: Action[] = finalized ? [] : [{ type: 'addFinalizer' }];
  const byKey = new Map(observed.map((o) => [objectKey(o), o]));
  for (const want of desired.objects) {
    const have = byKey.get(objectKey(want));
    byKey.delete(objectKey(want));
    if (have === undefined) {
      actions.push({ type: 'apply', reason: 'create', object: want });
    } else if (!contains(have, want)) {
      const sameSpec = specHash(have) !== undefined && specHash(have) === specHash(want);
      actions.push({ type: 'apply', reason: sameSpec ? 'drift' : 'update', object: want });
    }
  }
  for (const obsolete of byKey.values()) {
    if (obsolete.metadata.deletionTimestamp === undefined) {
      actions.push({ type: 'delete', reason: 'obsolete', object: obsolete });
    }
  }
  return actions;
}

const specHash = (o: KubeObject): string | undefined => o.metadata.annotations?.[SPEC_HASH_ANNOTATION];

/**
 * Whether `actual` holds every field of `wanted` with the same value. Objects may carry more keys; lists
 * must have the same length and match item by item (the operator writes whole lists). Resource quantities
 * (`resources.requests` / `resources.limits` values) compare by amount, as the API server rewrites them in
 * canonical form (`0.5` → `500m`); other numbers the server writes as strings compare by text.
 */
export function contains(actual: unknown, wanted: unknown, path: readonly string[] = []): boolean {
  if (wanted === undefined) return true;
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => contains(actual[i], w, [...path, String(i)]))
    );
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(wanted as Record<string, unknown>).every(([k, v]) =>
      contains(a[k], v, [...path, k]),
    );
  }
  if (isQuantityPath(path) && actual !== undefined && actual !== null) return sameQuantity(actual, wanted);
  if (typeof wanted === 'number' && typeof actual === 'string') return String(wanted) === actual;
  return actual === wanted;
}

/** `…resources.requests.<name>` or `…resources.limits.<name>`: a container's resource quantity. */
function isQuantityPath(path: readonly string[]): boolean {
  const n = path.length;
  return n >= 3 && path[n - 3] === 'resources' && (path[n - 2] === 'requests' || path[n - 2] === 'limits');
}

/** Deep equality of two JSON values, whatever the order of their keys. */
export const sameJson = (a: unknown, b: unknown): boolean => contains(a, b) && contains(b, a);

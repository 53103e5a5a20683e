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
 * Whether `actual` holds every field of `wanted` with the same value. Objects may carry more keys. Lists
 * of named items (containers, env, volumes, ports) match item by item by name and may carry more items:
 * server-side apply keeps entries another field manager added (an env var set by hand, an injected
 * sidecar), so counting them as drift would re-apply every pass without ever removing them. Other lists
 * must have the same length and match in order (apply replaces them whole). Resource quantities
 * (`resources.requests` / `resources.limits` values) compare by amount, as the API server rewrites them in
 * canonical form (`0.5` → `500m`); other numbers the server writes as strings compare by text.
 * A spec change always differs: the spec-hash annotation is part of what is wanted.
 */
export function contains(actual: unknown, wanted: unknown, path: readonly string[] = []): boolean {
  if (wanted === undefined) return true;
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual)) return false;
    const names = namesOf(wanted);
    if (names) {
      return wanted.every((w, i) =>
        contains(
          actual.find((a) => nameOf(a) === names[i]),
          w,
          [...path, String(i)],
        ),
      );
    }
    return (
      actual.length === wanted.length && wanted.every((w, i) => contains(actual[i], w, [...path, String(i)]))
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

const nameOf = (item: unknown): unknown =>
  item !== null && typeof item === 'object' && !Array.isArray(item)
    ? (item as { name?: unknown }).name
    : undefined;

/** The names of a non-empty list whose every item is an object with its own string `name`, else undefined. */
function namesOf(list: readonly unknown[]): string[] | undefined {
  const names = list.map(nameOf);
  const all = names.every((n): n is string => typeof n === 'string');
  return all && list.length > 0 && new Set(names).size === names.length ? names : undefined;
}

/** `…resources.requests.<name>` or `…resources.limits.<name>`: a container's resource quantity. */
function isQuantityPath(path: readonly string[]): boolean {
  const n = path.length;
  return n >= 3 && path[n - 3] === 'resources' && (path[n - 2] === 'requests' || path[n - 2] === 'limits');
}

/** Deep equality of two JSON values, whatever the order of their keys. */
export const sameJson = (a: unknown, b: unknown): boolean => contains(a, b) && contains(b, a);

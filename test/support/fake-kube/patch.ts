/**
 * The JSON algebra of the fake API server's writes: merge patch (RFC 7386), JSON patch (RFC 6902), an
 * approximation of strategic merge, and server-side apply for one field manager. Pure functions of JSON.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export const clone = <T>(v: T): T => structuredClone(v);

/** Deep equality, whatever the order of object keys. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    return (
      keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length &&
      keys.every((k) => jsonEqual(a[k], b[k]))
    );
  }
  return a === b;
}

/** A patch that cannot be applied: 422 for a failed JSON-patch operation, 400 for a malformed one. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 422,
  ) {
    super(message);
  }
}

/** RFC 7386: objects merge, `null` deletes, anything else (lists included) replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The key Kubernetes merges a list by (its `patchMergeKey` / `listMapKeys`), guessed from the items:
 * `name` (containers, env, volumes), `containerPort`, `port` (Service ports), `mountPath`. Lists without
 * one of these on every item are atomic.
 */
function mergeKey(items: readonly Json[]): string | undefined {
  for (const key of ['name', 'containerPort', 'port', 'mountPath']) {
    if (items.length > 0 && items.every((i) => isObject(i) && i[key] !== undefined)) return key;
  }
  return undefined;
}

/**
 * Strategic merge, approximated: a merge patch whose lists of keyed objects (see `mergeKey`) merge item
 * by item instead of replacing. `$patch`/`$retainKeys` directives and primitive-list merge strategies
 * (`finalizers`) are not supported.
 */
export function strategicMergePatch(target: Json | undefined, patch: Json): Json {
  if (Array.isArray(patch) && Array.isArray(target)) {
    const key = mergeKey(patch);
    if (key === undefined || mergeKey(target) !== key) return clone(patch);
    const out = clone(target);
    for (const item of patch as JsonObject[]) {
      const at = out.findIndex((o) => isObject(o) && jsonEqual(o[key], item[key]));
      if (at >= 0) out[at] = strategicMergePatch(out[at], item);
      else out.push(clone(item));
    }
    return out;
  }
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

/**
 * Server-side apply for one field manager: `applied` is merged into `live` (keyed lists item by item),
 * and what this manager applied last time (`previous`) but no longer applies is removed. Ownership is
 * not shared: a field another writer changed after this manager applied it is still this manager's to
 * remove, and no apply ever conflicts.
 */
export function applyMerge(live: Json | undefined, previous: Json | undefined, applied: Json): Json {
  if (Array.isArray(applied)) {
    const key = mergeKey(applied);
    if (key === undefined || !Array.isArray(live) || mergeKey(live) !== key) return clone(applied);
    const prev = Array.isArray(previous) && mergeKey(previous) === key ? (previous as JsonObject[]) : [];
    const find = (list: readonly Json[], item: JsonObject) =>
      list.find((o) => isObject(o) && jsonEqual(o[key], item[key])) as JsonObject | undefined;
    const out = live.filter(
      (o) => !isObject(o) || !find(prev, o) || find(applied, o) !== undefined,
    ) as JsonObject[];
    for (const item of applied as JsonObject[]) {
      const at = out.findIndex((o) => jsonEqual(o[key], item[key]));
      const merged = applyMerge(out[at], find(prev, item), item) as JsonObject;
      if (at >= 0) out[at] = merged;
      else out.push(merged);
    }
    return out;
  }
  if (!isObject(applied)) return clone(applied);
  const out: JsonObject = isObject(live) ? clone(live) : {};
  if (isObject(previous)) {
    for (const k of Object.keys(previous)) if (!(k in applied)) Reflect.deleteProperty(out, k);
  }
  for (const [k, v] of Object.entries(applied)) {
    out[k] = applyMerge(out[k], isObject(previous) ? previous[k] : undefined, v);
  }
  return out;
}

type Operation = { op: string; path: string; from?: string; value?: Json };

const pointer = (path: string): string[] => {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`, 400);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
};

/** RFC 6902 on a copy of `target`: add, remove, replace, move, copy, test. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be a list of operations', 400);
  let doc = clone(target);
  const parentOf = (path: string): { parent: Json; key: string } => {
    const parts = pointer(path);
    const key = parts.pop();
    if (key === undefined) throw new PatchError(`cannot address the root with ${path}`, 422);
    let parent: Json = doc;
    for (const p of parts) {
      const next: Json | undefined = Array.isArray(parent)
        ? parent[Number(p)]
        : isObject(parent)
          ? parent[p]
          : undefined;
      if (next === undefined) throw new PatchError(`path ${path} does not exist`, 422);
      parent = next;
    }
    return { parent, key };
  };
  const read = (path: string): Json => {
    if (path === '') return doc;
    const { parent, key } = parentOf(path);
    const v = Array.isArray(parent) ? parent[Number(key)] : isObject(parent) ? parent[key] : undefined;
    if (v === undefined) throw new PatchError(`path ${path} does not exist`, 422);
    return v;
  };
  const remove = (path: string): void => {
    read(path);
    const { parent, key } = parentOf(path);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else Reflect.deleteProperty(parent as JsonObject, key);
  };
  const add = (path: string, value: Json): void => {
    if (path === '') {
      doc = clone(value);
      return;
    }
    const { parent, key } = parentOf(path);
    if (Array.isArray(parent)) {
      const at = key === '-' ? parent.length : Number(key);
      if (!Number.isInteger(at) || at < 0 || at > parent.length)
        throw new PatchError(`index ${key} out of range in ${path}`, 422);
      parent.splice(at, 0, clone(value));
    } else if (isObject(parent)) parent[key] = clone(value);
    else throw new PatchError(`path ${path} has no parent object`, 422);
  };
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string')
      throw new PatchError('each JSON patch operation needs op and path', 400);
    const op = raw as unknown as Operation;
    const value = (): Json => {
      if (op.value === undefined) throw new PatchError(`${op.op} ${op.path} needs a value`, 400);
      return op.value;
    };
    if (op.op === 'add') add(op.path, value());
    else if (op.op === 'remove') remove(op.path);
    else if (op.op === 'replace') {
      remove(op.path);
      add(op.path, value());
    } else if (op.op === 'move' || op.op === 'copy') {
      const v = read(op.from ?? '');
      if (op.op === 'move') remove(op.from ?? '');
      add(op.path, v);
    } else if (op.op === 'test') {
      if (!jsonEqual(read(op.path), value())) throw new PatchError(`test of ${op.path} failed`, 422);
    } else throw new PatchError(`unknown JSON patch operation ${op.op}`, 400);
  }
  return doc;
}

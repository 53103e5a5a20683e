/**
 * The fake API server's storage, standing in for etcd and the registry: one global resourceVersion
 * counter, objects keyed by kind, namespace and name, and per kind a bounded history of changes that
 * watches replay from (older resourceVersions answer 410 Gone, as past the real watch cache or an etcd
 * compaction). No HTTP here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { finish, meta, NAME, now, prepareUpdate, type WriteOptions } from './objects';
import { applyMerge, clone, isObject, jsonEqual, type Json, type JsonObject } from './patch';
import { BUILTIN, establishedCrdStatus, typesOfCrd, type ResourceType } from './resources';
import type { Selector } from './selectors';
import { alreadyExists, ApiError, badRequest, expired, invalid, notFound } from './status';

export type { WriteOptions };
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface Change {
  readonly rv: number;
  readonly type: EventType;
  readonly key: string;
  readonly object: JsonObject;
  readonly previous?: JsonObject;
}
export interface WatchEvent {
  readonly type: EventType;
  readonly object: JsonObject;
}
interface Watcher {
  readonly prefix: string;
  readonly selects: Selector;
  readonly send: (e: WatchEvent) => void;
}

const NAMESPACES = BUILTIN.find((r) => r.kind === 'Namespace') as ResourceType;

export function createStore(opts: { historySize: number }) {
  const types = new Map<string, ResourceType>(); // `<group>/<version>/<plural>`
  const objects = new Map<string, JsonObject>(); // `<group>/<plural>/<namespace>/<name>`
  const applied = new Map<string, Json>(); // `<uid>/<field manager>`: last applied configuration
  /** Per kind, like the API server's watch cache: `<group>/<plural>/` → its recent changes. */
  const histories = new Map<string, { changes: Change[]; compacted: number }>();
  const watchers = new Set<Watcher>();
  let rv = 0;
  let clusterIp = 10;

  const register = (r: ResourceType) => types.set(`${r.group}/${r.version}/${r.plural}`, r);
  BUILTIN.forEach(register);
  const keyOf = (r: ResourceType, ns: string, name = '') => `${r.group}/${r.plural}/${ns}/${name}`;

  function record(type: EventType, key: string, object: JsonObject, previous?: JsonObject): void {
    const change = { rv, type, key, object, ...(previous ? { previous } : {}) };
    const kind = key.split('/', 2).join('/') + '/';
    const h = histories.get(kind) ?? { changes: [], compacted: 0 };
    histories.set(kind, h);
    h.changes.push(change);
    while (h.changes.length > opts.historySize) h.compacted = h.changes.shift()?.rv ?? h.compacted;
    for (const w of watchers) deliver(w, change);
  }

  /** A watch filtered by labels sees an object leave (DELETED) or enter (ADDED) its selection. */
  function deliver(w: Watcher, c: Change): void {
    if (!c.key.startsWith(w.prefix)) return;
    const now = w.selects(c.object);
    const before = c.previous ? w.selects(c.previous) : c.type !== 'ADDED' && now;
    if (!now && !before) return;
    const type =
      c.type === 'MODIFIED' && !before ? 'ADDED' : c.type === 'MODIFIED' && !now ? 'DELETED' : c.type;
    w.send({ type, object: clone(c.object) });
  }

  /** Stores `next` under a new resourceVersion, unless nothing changed (then no event, like etcd). */
  function commit(r: ResourceType, key: string, old: JsonObject, next: JsonObject): JsonObject {
    const m = meta(next);
    m['resourceVersion'] = meta(old)['resourceVersion'] ?? null;
    if (jsonEqual(old, next)) return old;
    rv += 1;
    m['resourceVersion'] = String(rv);
    if (m['deletionTimestamp'] && (!Array.isArray(m['finalizers']) || m['finalizers'].length === 0)) {
      objects.delete(key);
      record('DELETED', key, next, old);
      if (r.kind === 'CustomResourceDefinition') dropCrd(next);
    } else {
      objects.set(key, next);
      record('MODIFIED', key, next, old);
    }
    return next;
  }

  function dropCrd(crd: JsonObject): void {
    for (const t of typesOfCrd(crd)) {
      types.delete(`${t.group}/${t.version}/${t.plural}`);
      for (const [k, o] of objects) if (k.startsWith(`${t.group}/${t.plural}/`)) remove(k, o);
    }
  }

  function remove(key: string, old: JsonObject): JsonObject {
    rv += 1;
    const gone = clone(old);
    meta(gone)['resourceVersion'] = String(rv);
    objects.delete(key);
    record('DELETED', key, gone, old);
    return gone;
  }

  const existing = (r: ResourceType, ns: string, name: string): JsonObject => {
    const o = objects.get(keyOf(r, ns, name));
    if (!o) throw notFound(r, name);
    return o;
  };

  function create(r: ResourceType, ns: string, body: JsonObject): JsonObject {
    const o = clone(body);
    const m = meta(o);
    if (m['name'] === undefined && typeof m['generateName'] === 'string')
      m['name'] = `${m['generateName']}${randomBytes(3).toString('hex').slice(0, 5)}`;
    const name = typeof m['name'] === 'string' ? m['name'] : '';
    if (!name) throw invalid(r, name, 'metadata.name', 'Required value: name or generateName is required');
    const checked = r.group !== 'rbac.authorization.k8s.io'; // RBAC names may hold ':'
    if (checked && (!NAME.test(name) || name.length > 253))
      throw invalid(
        r,
        name,
        'metadata.name',
        `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    if (r.namespaced) {
      if (m['namespace'] !== undefined && m['namespace'] !== ns)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      if (!objects.has(`/namespaces//${ns}`)) throw notFound(NAMESPACES, ns);
      m['namespace'] = ns;
    } else delete m['namespace'];
    const key = keyOf(r, ns, name);
    if (objects.has(key)) throw alreadyExists(r, name);
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'generation'])
      Reflect.deleteProperty(m, k);
    m['uid'] = randomUUID();
    m['creationTimestamp'] = now();
    if (r.generation) m['generation'] = 1;
    if (r.statusSubresource) delete o['status'];
    if (r.kind === 'Namespace')
      Object.assign(o, { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    if (r.kind === 'CustomResourceDefinition') o['status'] = establishedCrdStatus(o);
    if (r.kind === 'Deployment' && isObject(o['spec'])) o['spec']['replicas'] ??= 1;
    if (r.kind === 'Service' && isObject(o['spec'])) {
      o['spec']['type'] ??= 'ClusterIP';
      if (o['spec']['type'] === 'ClusterIP' && o['spec']['clusterIP'] === undefined) {
        o['spec']['clusterIP'] = `10.96.0.${clusterIp++}`;
        o['spec']['clusterIPs'] = [o['spec']['clusterIP']];
      }
    }
    finish(r, o);
    rv += 1;
    m['resourceVersion'] = String(rv);
    objects.set(key, o);
    record('ADDED', key, o);
    if (r.kind === 'CustomResourceDefinition') typesOfCrd(o).forEach(register);
    return clone(o);
  }

  /** PUT, or a patch already applied to the current object (`patched`). */
  function update(
    r: ResourceType,
    ns: string,
    name: string,
    candidate: JsonObject,
    o: WriteOptions,
  ): JsonObject {
    const old = existing(r, ns, name);
    return clone(commit(r, keyOf(r, ns, name), old, prepareUpdate(r, old, candidate, o)));
  }

  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    create(NAMESPACES, '', { metadata: { name: ns } });

  return {
    /** `null` when the group/version does not serve `plural`. */
    type: (group: string, version: string, plural: string): ResourceType | null =>
      types.get(`${group}/${version}/${plural}`) ?? null,
    types: (): ResourceType[] => [...types.values()],
    resourceVersion: (): string => String(rv),

    get: (r: ResourceType, ns: string, name: string): JsonObject => clone(existing(r, ns, name)),

    list(r: ResourceType, ns: string, selects: Selector): { items: JsonObject[]; resourceVersion: string } {
      const prefix = keyOf(r, ns);
      const items = [...objects.entries()]
        .filter(([k, o]) => k.startsWith(ns ? prefix : keyOf(r, '').slice(0, -1)) && selects(o))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, o]) => {
          const { apiVersion: _a, kind: _k, ...item } = clone(o);
          return item;
        });
      return { items, resourceVersion: String(rv) };
    },

    create,
    update,
    /** Server-side apply: creates a missing object, else merges the applied configuration into it. */
    apply(r: ResourceType, ns: string, name: string, config: JsonObject, manager: string, o: WriteOptions) {
      const old = objects.get(keyOf(r, ns, name));
      if (!old) {
        if (o.subresource) throw notFound(r, name);
        const created = create(r, ns, config);
        applied.set(`${String(meta(created)['uid'])}/${manager}/`, clone(config));
        return { object: created, created: true };
      }
      const memo = `${String(meta(old)['uid'])}/${manager}/${o.subresource ?? ''}`;
      const merged = applyMerge(old, applied.get(memo), config) as JsonObject;
      if (meta(config)['resourceVersion'] === undefined)
        meta(merged)['resourceVersion'] = meta(old)['resourceVersion'] ?? null;
      const object = update(r, ns, name, merged, o);
      applied.set(memo, clone(config));
      return { object, created: false };
    },

    delete(
      r: ResourceType,
      ns: string,
      name: string,
      options: JsonObject,
    ): { object: JsonObject; gone: boolean } {
      const key = keyOf(r, ns, name);
      const old = existing(r, ns, name);
      const was = meta(old);
      const pre = isObject(options['preconditions']) ? options['preconditions'] : {};
      if (pre['uid'] !== undefined && pre['uid'] !== was['uid'])
        throw new ApiError(
          409,
          'Conflict',
          `Precondition failed: UID in precondition: ${String(pre['uid'])}, UID in object meta: ${String(was['uid'])}`,
        );
      if (pre['resourceVersion'] !== undefined && pre['resourceVersion'] !== was['resourceVersion'])
        throw new ApiError(
          409,
          'Conflict',
          `Precondition failed: ResourceVersion in precondition: ${String(pre['resourceVersion'])}, ResourceVersion in object meta: ${String(was['resourceVersion'])}`,
        );
      const finalizers = Array.isArray(was['finalizers']) ? [...was['finalizers']] : [];
      const policy = options['propagationPolicy'];
      if (!was['deletionTimestamp'] && policy === 'Foreground') finalizers.push('foregroundDeletion');
      if (!was['deletionTimestamp'] && policy === 'Orphan') finalizers.push('orphan');
      // Namespaces wait for the namespace controller, which does not run here (nor in the real setup).
      const pending = finalizers.length > 0 || r.kind === 'Namespace';
      if (!pending) {
        const gone = remove(key, old);
        if (r.kind === 'CustomResourceDefinition') dropCrd(gone);
        return { object: gone, gone: true };
      }
      if (was['deletionTimestamp']) return { object: clone(old), gone: false };
      const next = clone(old);
      const m = meta(next);
      Object.assign(m, { deletionTimestamp: now(), deletionGracePeriodSeconds: 0 });
      if (finalizers.length > 0) m['finalizers'] = finalizers;
      if (r.generation) m['generation'] = Number(was['generation'] ?? 0) + 1;
      if (r.kind === 'Namespace') next['status'] = { phase: 'Terminating' };
      return { object: clone(commit(r, key, old, next)), gone: false };
    },

    /**
     * Starts a watch: from `from` (replaying the history after it; 410 Gone when compacted away), or,
     * with no resourceVersion or "0", from a synthetic ADDED of every current object. Returns the stop.
     */
    watch(
      r: ResourceType,
      ns: string,
      from: string,
      selects: Selector,
      send: (e: WatchEvent) => void,
    ): () => void {
      const w: Watcher = { prefix: ns ? keyOf(r, ns) : keyOf(r, '').slice(0, -1), selects, send };
      if (from === '' || from === '0') {
        for (const [k, o] of objects)
          if (k.startsWith(w.prefix) && selects(o)) send({ type: 'ADDED', object: clone(o) });
      } else {
        const n = Number(from);
        if (!Number.isInteger(n) || n < 0)
          throw badRequest(`invalid resourceVersion ${JSON.stringify(from)}`);
        const h = histories.get(keyOf(r, '').slice(0, -1)) ?? { changes: [], compacted: 0 };
        if (n < h.compacted) throw expired(n, h.compacted + 1);
        for (const c of h.changes) if (c.rv > n) deliver(w, c);
      }
      watchers.add(w);
      return () => watchers.delete(w);
    },
  };
}

export type Store = ReturnType<typeof createStore>;

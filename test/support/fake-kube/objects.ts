/**
 * How the API server turns a write into the stored object: server-owned metadata, the status subresource,
 * generation, defaults. Pure functions of the old object and the request.
 */
import { clone, isObject, jsonEqual, type JsonObject } from './patch';
import { apiVersionOf, applyDefaults, type ResourceType } from './resources';
import { badRequest, invalid, modified } from './status';

export interface WriteOptions {
  readonly subresource?: 'status';
  /** A PUT (full replacement): custom resources need a resourceVersion for it. */
  readonly replace?: boolean;
}

export const meta = (o: JsonObject): JsonObject =>
  isObject(o['metadata']) ? o['metadata'] : (o['metadata'] = {});
export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
export const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Everything but metadata and status: what a generation counts changes of. */
const specOf = (o: JsonObject): JsonObject => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
};

/** What every write stores: apiVersion and kind, CRD defaults, Secret stringData folded into data. */
export function finish(r: ResourceType, o: JsonObject): JsonObject {
  o['apiVersion'] = apiVersionOf(r);
  o['kind'] = r.kind;
  if (r.custom) applyDefaults(o, r.schema);
  delete meta(o)['managedFields'];
  if (r.kind === 'Secret' && isObject(o['stringData'])) {
    const data = isObject(o['data']) ? o['data'] : {};
    for (const [k, v] of Object.entries(o['stringData'])) data[k] = Buffer.from(String(v)).toString('base64');
    o['data'] = data;
    delete o['stringData'];
  }
  return o;
}

/** The object `candidate` makes of `old`: server-owned metadata kept, status per subresource, generation. */
export function prepareUpdate(
  r: ResourceType,
  old: JsonObject,
  candidate: JsonObject,
  o: WriteOptions,
): JsonObject {
  const was = meta(old);
  const name = String(was['name']);
  const asked = meta(candidate);
  if (asked['name'] !== undefined && asked['name'] !== name)
    throw badRequest(
      `the name of the object (${String(asked['name'])}) does not match the name on the URL (${name})`,
    );
  if (asked['resourceVersion'] !== undefined && asked['resourceVersion'] !== was['resourceVersion'])
    throw modified(r, name);
  if (asked['resourceVersion'] === undefined && o.replace && r.custom)
    throw invalid(r, name, 'metadata.resourceVersion', 'Invalid value: 0x0: must be specified for an update');
  let next: JsonObject;
  if (o.subresource === 'status') {
    next = clone(old);
    if (candidate['status'] === undefined) delete next['status'];
    else next['status'] = clone(candidate['status']);
  } else {
    next = clone(candidate);
    if (r.statusSubresource) {
      if (old['status'] === undefined) delete next['status'];
      else next['status'] = clone(old['status']);
    }
    const m = meta(next);
    for (const k of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
    ])
      if (was[k] === undefined) Reflect.deleteProperty(m, k);
      else m[k] = was[k];
    m['name'] = name;
    if (was['namespace'] !== undefined) m['namespace'] = was['namespace'];
    const before = Array.isArray(was['finalizers']) ? was['finalizers'] : [];
    const after = Array.isArray(m['finalizers']) ? m['finalizers'] : [];
    if (was['deletionTimestamp'] && after.some((f) => !before.includes(f)))
      throw invalid(
        r,
        name,
        'metadata.finalizers',
        'Forbidden: no new finalizers can be added if the object is being deleted',
      );
    if (Array.isArray(m['finalizers']) && after.length === 0) delete m['finalizers'];
  }
  finish(r, next);
  if (r.generation && !jsonEqual(specOf(old), specOf(next)))
    meta(next)['generation'] = Number(was['generation'] ?? 0) + 1;
  return next;
}

/**
 * The HTTP face of the fake API server: bearer-token authentication, discovery, and the REST and watch
 * protocol over the store (`/api/v1/...`, `/apis/<group>/<version>/...`, `namespaces/<ns>/` scoping,
 * `/status` subresource). Everything answers JSON; failures answer a `Status`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import YAML from 'yaml';
import {
  clone,
  isObject,
  jsonPatch,
  mergePatch,
  PatchError,
  strategicMergePatch,
  type Json,
  type JsonObject,
} from './patch';
import { apiGroup, apiVersionOf, resourceList, type ResourceType } from './resources';
import { fieldSelector, labelSelector, SelectorError } from './selectors';
import { ApiError, badRequest, success } from './status';
import type { Store } from './store';

export interface HandlerOptions {
  readonly store: Store;
  /** Accepted bearer tokens; every one may do everything (RBAC objects are stored, not enforced). */
  readonly tokens: readonly string[];
  /** How often a watch that asked for bookmarks (`allowWatchBookmarks=true`) gets one. */
  readonly bookmarkMs: number;
}

const send = (res: ServerResponse, code: number, body: Json): void => {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

function parse(text: string, contentType: string): JsonObject | Json[] {
  try {
    const value: unknown = contentType.includes('yaml') ? YAML.parse(text) : JSON.parse(text);
    if (isObject(value) || Array.isArray(value)) return value as JsonObject | Json[];
  } catch {
    // answered below
  }
  throw badRequest(
    `the request body is not a valid ${contentType.includes('yaml') ? 'YAML' : 'JSON'} object`,
  );
}

const notServed = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export function createHandler(opts: HandlerOptions): RequestListener {
  const { store } = opts;

  function discovery(parts: readonly string[]): Json | undefined {
    const types = store.types();
    const groups = new Map<string, Set<string>>();
    for (const t of types)
      if (t.group) groups.set(t.group, (groups.get(t.group) ?? new Set()).add(t.version));
    const [root, a, b] = parts;
    if (root === 'api' && a === undefined)
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (root === 'api' && a === 'v1' && b === undefined)
      return resourceList(
        'v1',
        types.filter((t) => !t.group),
      );
    if (root === 'apis' && a === undefined)
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([g, v]) => apiGroup(g, [...v])),
      };
    if (root === 'apis' && a !== undefined && b === undefined)
      return groups.has(a) ? apiGroup(a, [...(groups.get(a) ?? [])]) : undefined;
    if (root === 'apis' && a !== undefined && b !== undefined && parts.length === 3) {
      const served = types.filter((t) => t.group === a && t.version === b);
      return served.length > 0 ? resourceList(`${a}/${b}`, served) : undefined;
    }
    return undefined;
  }

  /** `/api/v1/namespaces/ns/deployments/x/status` → kind, namespace, name, subresource. */
  function route(parts: readonly string[]) {
    const [root, ...rest] = parts;
    const group = root === 'api' ? '' : (rest.shift() ?? '');
    const version = rest.shift() ?? '';
    let ns = '';
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
      ns = rest[1] ?? '';
      rest.splice(0, 2);
    }
    const [plural = '', name, subresource, ...extra] = rest;
    const type = store.type(group, version, plural);
    if (!type || extra.length > 0 || (subresource !== undefined && subresource !== 'status'))
      throw notServed();
    if (subresource === 'status' && !type.statusSubresource) throw notServed();
    if (type.namespaced === false && ns) throw notServed();
    return { type, ns, name, subresource: subresource as 'status' | undefined };
  }

  function watch(res: ServerResponse, type: ResourceType, ns: string, q: URLSearchParams): void {
    const selects = both(q);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const write = (e: { type: string; object: Json }) => res.write(`${JSON.stringify(e)}\n`);
    let stop = (): void => undefined;
    try {
      stop = store.watch(type, ns, q.get('resourceVersion') ?? '', selects, write);
    } catch (err) {
      // A too old resourceVersion is an ERROR event in a 200 stream, then the end of it.
      if (!(err instanceof ApiError)) throw err;
      write({ type: 'ERROR', object: err.status() });
      res.end();
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    if (q.get('allowWatchBookmarks') === 'true') {
      const bookmark = { kind: type.kind, apiVersion: apiVersionOf(type) };
      const tick = () =>
        write({
          type: 'BOOKMARK',
          object: { ...bookmark, metadata: { resourceVersion: store.resourceVersion() } },
        });
      timers.push(setInterval(tick, opts.bookmarkMs));
    }
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    res.on('close', () => {
      stop();
      timers.forEach(clearTimeout);
    });
  }

  function both(q: URLSearchParams) {
    try {
      const labels = labelSelector(q.get('labelSelector'));
      const fields = fieldSelector(q.get('fieldSelector'));
      return (o: JsonObject) => labels(o) && fields(o);
    } catch (err) {
      throw err instanceof SelectorError ? badRequest(err.message) : err;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const method = req.method ?? 'GET';
    if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !opts.tokens.includes(token)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    if (url.pathname === '/version')
      return send(res, 200, { major: '1', minor: '34', gitVersion: 'v1.34.0-fake' });
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api' && parts[0] !== 'apis') throw notServed();
    const doc = method === 'GET' ? discovery(parts) : undefined;
    if (doc !== undefined) return send(res, 200, doc);
    // A group or version nobody serves gets the mux's plain 404, not a Status.
    const [group, version] = parts[0] === 'api' ? ['', parts[1]] : [parts[1], parts[2]];
    if (!store.types().some((t) => t.group === group && t.version === version)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const { type, ns, name, subresource } = route(parts);
    const q = url.searchParams;
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
    const text = await readBody(req);
    const body = (): JsonObject => {
      const b = parse(text, contentType);
      if (Array.isArray(b)) throw badRequest('the request body must be an object');
      return b;
    };
    if (name === undefined) {
      if (method === 'GET' && ['true', '1'].includes(q.get('watch') ?? '')) return watch(res, type, ns, q);
      if (method === 'GET') {
        const { items, resourceVersion } = store.list(type, ns, both(q));
        return send(res, 200, {
          kind: `${type.kind}List`,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion },
          items,
        });
      }
      if (method === 'POST')
        return send(res, 201, checkKind(type, store.create(type, ns, checkKind(type, body()))));
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    }
    const write = { ...(subresource ? { subresource } : {}) };
    if (method === 'GET') return send(res, 200, store.get(type, ns, name));
    if (method === 'PUT')
      return send(
        res,
        200,
        store.update(type, ns, name, checkKind(type, body()), { ...write, replace: true }),
      );
    if (method === 'DELETE') {
      const options = text ? body() : {};
      const policy = q.get('propagationPolicy');
      const { object, gone } = store.delete(
        type,
        ns,
        name,
        policy ? { ...options, propagationPolicy: policy } : options,
      );
      const uid = String(isObject(object['metadata']) ? object['metadata']['uid'] : '');
      return send(res, 200, gone && !type.custom ? success(type, name, uid) : object);
    }
    if (method !== 'PATCH')
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    if (contentType === 'application/apply-patch+yaml') {
      const manager = q.get('fieldManager');
      if (!manager)
        throw new ApiError(
          422,
          'Invalid',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          {
            group: 'meta.k8s.io',
            kind: 'PatchOptions',
            causes: [
              {
                reason: 'FieldValueRequired',
                message: 'Required value: is required for apply patch',
                field: 'fieldManager',
              },
            ],
          },
        );
      const config = checkKind(type, body());
      if (isObject(config['metadata']) && config['metadata']['name'] !== name)
        throw badRequest(
          `the name of the object (${String(config['metadata']['name'])}) does not match the name on the URL (${name})`,
        );
      const { object, created } = store.apply(type, ns, name, config, manager, write);
      return send(res, created ? 201 : 200, object);
    }
    const current = store.get(type, ns, name);
    let patched: Json;
    try {
      if (contentType === 'application/merge-patch+json') patched = mergePatch(current, body());
      else if (contentType === 'application/json-patch+json')
        patched = jsonPatch(current, parse(text, contentType));
      else if (contentType === 'application/strategic-merge-patch+json' && !type.custom)
        patched = strategicMergePatch(current, body());
      else
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${type.custom ? '' : ', application/strategic-merge-patch+json'}`,
        );
    } catch (err) {
      if (err instanceof PatchError)
        throw err.code === 400 ? badRequest(err.message) : new ApiError(422, 'Invalid', err.message);
      throw err;
    }
    if (!isObject(patched)) throw new ApiError(422, 'Invalid', 'the patch made the object not an object');
    return send(res, 200, store.update(type, ns, name, clone(patched), write));
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', String(err));
      send(res, e.code, e.status());
    });
  };
}

/** A body's apiVersion and kind, when given, must name the resource of the URL. */
function checkKind(type: ResourceType, o: JsonObject): JsonObject {
  const apiVersion = o['apiVersion'];
  const kind = o['kind'];
  if (
    (apiVersion !== undefined && apiVersion !== apiVersionOf(type)) ||
    (kind !== undefined && kind !== type.kind)
  )
    throw badRequest(
      `the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`,
    );
  return o;
}

/**
 * The kinds the fake API server serves and its discovery documents. Built in: what the operator and its
 * tests use; custom resources appear when their CustomResourceDefinition is created, like the real one.
 */
import { clone, isObject, type Json, type JsonObject } from './patch';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Served at `<plural>/status`: writes there change only status, writes to the object never do. */
  readonly statusSubresource: boolean;
  /** Keeps metadata.generation, bumped by each change outside metadata and status. */
  readonly generation: boolean;
  /** A custom resource: no strategic merge (415), PUT needs a resourceVersion. */
  readonly custom: boolean;
  readonly shortNames?: readonly string[];
  /** The CRD's OpenAPI schema, for defaulting (not validation, not pruning). */
  readonly schema?: Json;
}

export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);
/** `deployments.apps`, `configmaps`: how the API server names a resource in its messages. */
export const qualified = (r: ResourceType): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

const builtin = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  opts: Partial<Pick<ResourceType, 'namespaced' | 'statusSubresource' | 'generation' | 'shortNames'>> = {},
): ResourceType => ({
  group,
  version,
  kind,
  plural,
  singular: kind.toLowerCase(),
  namespaced: opts.namespaced ?? true,
  statusSubresource: opts.statusSubresource ?? false,
  generation: opts.generation ?? false,
  custom: false,
  ...(opts.shortNames ? { shortNames: opts.shortNames } : {}),
});

/** RBAC and CRDs are stored as posted; nothing enforces them (every token may do everything). */
export const BUILTIN: readonly ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', { namespaced: false, shortNames: ['ns'] }),
  builtin('', 'v1', 'Service', 'services', { shortNames: ['svc'] }),
  builtin('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  builtin('', 'v1', 'Secret', 'secrets'),
  builtin('', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
  builtin('apps', 'v1', 'Deployment', 'deployments', {
    statusSubresource: true,
    generation: true,
    shortNames: ['deploy'],
  }),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
    namespaced: false,
    statusSubresource: true,
    generation: true,
    shortNames: ['crd', 'crds'],
  }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', { namespaced: false }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', {
    namespaced: false,
  }),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
];

/** The served versions of a CustomResourceDefinition. */
export function typesOfCrd(crd: JsonObject): ResourceType[] {
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const names = isObject(spec['names']) ? spec['names'] : {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  const kind = String(names['kind'] ?? '');
  return versions
    .filter((v) => v['served'] !== false)
    .map((v) => {
      const schema = isObject(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
      const shortNames = Array.isArray(names['shortNames']) ? names['shortNames'].map(String) : undefined;
      return {
        group: String(spec['group'] ?? ''),
        version: String(v['name'] ?? ''),
        kind,
        plural: String(names['plural'] ?? ''),
        singular: String(names['singular'] ?? kind.toLowerCase()),
        namespaced: spec['scope'] !== 'Cluster',
        statusSubresource: isObject(v['subresources']) && v['subresources']['status'] !== undefined,
        generation: true,
        custom: true,
        ...(shortNames ? { shortNames } : {}),
        ...(schema !== undefined ? { schema } : {}),
      };
    });
}

/** What the API server writes into a CRD's status once it serves it (at once, here). */
export function establishedCrdStatus(crd: JsonObject): JsonObject {
  const spec = isObject(crd['spec']) ? crd['spec'] : {};
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, reason: string): JsonObject => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message: '',
  });
  return {
    acceptedNames: clone(spec['names'] ?? {}),
    conditions: [condition('NamesAccepted', 'NoConflicts'), condition('Established', 'InitialNamesAccepted')],
    storedVersions: (Array.isArray(spec['versions']) ? spec['versions'] : [])
      .filter((v) => isObject(v) && v['storage'] === true)
      .map((v) => (isObject(v) ? (v['name'] ?? '') : '')),
  };
}

/** Structural-schema defaulting, as the API server does for custom resources: missing fields get `default`. */
export function applyDefaults(value: Json, schema: Json | undefined): void {
  if (!isObject(schema)) return;
  if (isObject(value)) {
    const props = isObject(schema['properties']) ? schema['properties'] : {};
    for (const [k, s] of Object.entries(props)) {
      if (value[k] === undefined && isObject(s) && s['default'] !== undefined) value[k] = clone(s['default']);
      if (value[k] !== undefined) applyDefaults(value[k], s);
    }
    if (isObject(schema['additionalProperties'])) {
      for (const [k, v] of Object.entries(value))
        if (!(k in props)) applyDefaults(v, schema['additionalProperties']);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) applyDefaults(item, schema['items']);
  }
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** `GET /api/v1`, `GET /apis/<group>/<version>`. */
export function resourceList(groupVersion: string, types: readonly ResourceType[]): JsonObject {
  const resources: JsonObject[] = [];
  for (const r of types) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs,
      ...(r.shortNames ? { shortNames: [...r.shortNames] } : {}),
    });
    if (r.statusSubresource)
      resources.push({
        name: `${r.plural}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['get', 'patch', 'update'],
      });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** `GET /apis/<group>` or one item of `GET /apis`. */
export function apiGroup(group: string, versions: readonly string[]): JsonObject {
  const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: list,
    preferredVersion: list[0] ?? null,
  };
}

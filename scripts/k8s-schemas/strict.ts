/**
 * Strict, standalone JSON schemas for kubeconform, from Kubernetes' OpenAPI v2 definitions and custom
 * resources' openAPIV3Schema. Pure: scripts/k8s-schemas.ts reads the inputs and writes the files.
 *
 * What "strict" means here, as kubectl's validation and the API server see it:
 * - every object schema with properties gets additionalProperties: false, unless it preserves unknown
 *   fields, so a misspelled field (spec.replica) is an error;
 * - IntOrString and x-kubernetes-int-or-string accept integers and strings, Quantity numbers and strings;
 * - optional fields accept null (the API server treats null as unset), as kubeconform's own schemas do;
 * - a custom resource's metadata is checked as an ObjectMeta, and its top level allows nothing else.
 */

/** A JSON schema node, as far as this file reads and writes it. */
export interface SchemaNode {
  [key: string]: unknown;
  type?: string | string[];
  format?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode | SchemaNode[];
  not?: SchemaNode;
  $ref?: string;
}

export type Definitions = Record<string, SchemaNode>;

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const DRAFT4 = 'http://json-schema.org/draft-04/schema#';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON type list that also accepts null. */
function nullable(type: string | string[]): string[] {
  const types = Array.isArray(type) ? type : [type];
  return types.includes('null') ? types : [...types, 'null'];
}

/**
 * Makes one schema node (and everything below it) strict, in place: see the header. `optional` says
 * whether null is acceptable for this node (it is not listed in its parent's `required`).
 */
export function strictify<T>(node: T, optional: boolean): T {
  if (!isObject(node)) return node;
  const n = node as SchemaNode;
  delete n['description'];
  delete n['x-kubernetes-validations'];
  if (n.format === 'int-or-string' || n['x-kubernetes-int-or-string'] === true) {
    delete n.format;
    delete n['anyOf']; // CRDs spell it anyOf [integer, string] beside the extension
    n.type = ['integer', 'string'];
  }
  if (n['nullable'] === true) n.type = nullable(n.type ?? 'object');
  delete n['nullable'];
  if (optional && typeof n.type === 'string') n.type = nullable(n.type);
  else if (optional && Array.isArray(n.type)) n.type = nullable(n.type);

  if (isObject(n.properties)) {
    const required = new Set(Array.isArray(n.required) ? n.required : []);
    for (const [name, child] of Object.entries(n.properties)) strictify(child, !required.has(name));
    const preserves = n['x-kubernetes-preserve-unknown-fields'] === true;
    if (n['x-kubernetes-embedded-resource'] === true) {
      // The API server always accepts these on an embedded object.
      n.properties['apiVersion'] ??= { type: ['string', 'null'] };
      n.properties['kind'] ??= { type: ['string', 'null'] };
      n.properties['metadata'] ??= { type: ['object', 'null'] };
    }
    if (!preserves && n.additionalProperties === undefined) n.additionalProperties = false;
  }
  if (isObject(n.additionalProperties)) strictify(n.additionalProperties, true);
  if (isObject(n.items)) strictify(n.items, true);
  if (Array.isArray(n.items)) n.items.forEach((s) => strictify(s, true));
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = n[key];
    if (Array.isArray(list)) list.forEach((s: unknown) => strictify(s, false));
  }
  if (isObject(n.not)) strictify(n.not, false);
  return node;
}

/** The Kubernetes definitions made strict once; IntOrString and Quantity widened. */
export function strictDefinitions(openapi: { definitions: Definitions }): Definitions {
  const defs = structuredClone(openapi.definitions);
  for (const [name, def] of Object.entries(defs)) {
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
      defs[name] = { type: ['string', 'number', 'null'] };
      continue;
    }
    strictify(def, true); // referenced definitions may be null where they are optional
    if (def.type === undefined && !def.properties && !def.$ref) defs[name] = {}; // any JSON (JSON, RawExtension…)
  }
  return defs;
}

/** The definition names `schema` refers to through $ref. */
function refsOf(schema: unknown): string[] {
  const refs: string[] = [];
  JSON.stringify(schema, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string') refs.push(value.replace('#/definitions/', ''));
    return value;
  });
  return refs;
}

/** Names of the definitions reachable from `start` through $ref. */
function reachable(defs: Definitions, start: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name)) continue;
    const def = defs[name];
    if (!def) throw new Error(`unresolved $ref to #/definitions/${name}`);
    seen.add(name);
    todo.push(...refsOf(def));
  }
  return seen;
}

/** A self-contained schema: `root` plus the definitions it references. */
export function standalone(defs: Definitions, root: SchemaNode): SchemaNode {
  const names = reachable(defs, refsOf(root));
  const definitions: Definitions = {};
  for (const name of [...names].sort()) definitions[name] = defs[name] ?? {};
  return { $schema: DRAFT4, ...root, definitions };
}

/**
 * Strict schema of a custom resource from its openAPIV3Schema (a CRD version's, or a catalogue file):
 * metadata is an ObjectMeta and the top level allows only apiVersion, kind, metadata and the schema's own fields.
 */
export function customResourceSchema(defs: Definitions, openAPIV3Schema: SchemaNode): SchemaNode {
  const schema = strictify(structuredClone(openAPIV3Schema), false);
  schema.type = 'object';
  schema.properties ??= {};
  schema.properties['apiVersion'] = { type: 'string' };
  schema.properties['kind'] = { type: 'string' };
  schema.properties['metadata'] = { $ref: `#/definitions/${OBJECT_META}` };
  if (schema['x-kubernetes-preserve-unknown-fields'] !== true) schema.additionalProperties = false;
  return standalone(defs, schema);
}

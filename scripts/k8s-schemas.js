#!/usr/bin/env node
'use strict';
// Strict, standalone JSON schemas for kubeconform, generated offline from the read-only inputs in
// ../shared/k8s-schemas (or $K8S_SCHEMAS_DIR): one file per kind and version,
// <out>/<group>/<kind>_<version>.json (the core group is "v1", as kubeconform's {{ .Group }} names it),
// matched by `kubeconform -schema-location '<out>/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'`.
//
//   node scripts/k8s-schemas.js                  generate (once per input version) and print the directory
//   node scripts/k8s-schemas.js --crd FILE... --out DIR
//                                                write schemas of the CustomResourceDefinitions in FILEs
//
// What "strict" means here, as kubectl's validation and the API server see it:
// - every object schema with properties gets additionalProperties: false, unless it preserves unknown
//   fields, so a misspelled field (spec.replica) is an error;
// - IntOrString and x-kubernetes-int-or-string accept integers and strings, Quantity numbers and strings;
// - optional fields accept null (the API server treats null as unset), as kubeconform's own schemas do;
// - a custom resource's metadata is checked as an ObjectMeta, and its top level allows nothing else.
// The output goes under .local/ (ignored by git); the inputs are never copied into the repository.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.join(__dirname, '..');
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const DRAFT4 = 'http://json-schema.org/draft-04/schema#';

/** The input directory: $K8S_SCHEMAS_DIR, else ../shared/k8s-schemas beside the repository. */
function inputDir() {
  const dir = process.env.K8S_SCHEMAS_DIR || path.join(REPO_ROOT, '..', 'shared', 'k8s-schemas');
  if (!fs.existsSync(path.join(dir, 'kubernetes-openapi-v2.json'))) {
    throw new Error(
      `no Kubernetes schemas at ${dir} (kubernetes-openapi-v2.json is missing): ` +
        'set K8S_SCHEMAS_DIR to the k8s-schemas directory, or put it at ../shared/k8s-schemas beside the repository',
    );
  }
  return dir;
}

function listCrdSchemaFiles(dir) {
  const root = path.join(dir, 'crds');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((group) =>
      fs
        .readdirSync(path.join(root, group.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(root, group.name, f)),
    )
    .sort();
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON type list that also accepts null. */
function nullable(type) {
  const types = Array.isArray(type) ? type : [type];
  return types.includes('null') ? types : [...types, 'null'];
}

/**
 * Makes one schema node (and everything below it) strict, in place: see the header. `optional` says
 * whether null is acceptable for this node (it is not listed in its parent's `required`).
 */
function strictify(node, optional) {
  if (!isObject(node)) return node;
  delete node.description;
  delete node['x-kubernetes-validations'];
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true) {
    delete node.format;
    delete node.anyOf; // CRDs spell it anyOf [integer, string] beside the extension
    node.type = ['integer', 'string'];
  }
  if (node.nullable === true) node.type = nullable(node.type ?? 'object');
  delete node.nullable;
  if (optional && typeof node.type === 'string') node.type = nullable(node.type);
  else if (optional && Array.isArray(node.type)) node.type = nullable(node.type);

  if (isObject(node.properties)) {
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    for (const [name, child] of Object.entries(node.properties)) strictify(child, !required.has(name));
    const preserves = node['x-kubernetes-preserve-unknown-fields'] === true;
    if (node['x-kubernetes-embedded-resource'] === true) {
      // The API server always accepts these on an embedded object.
      node.properties.apiVersion ??= { type: ['string', 'null'] };
      node.properties.kind ??= { type: ['string', 'null'] };
      node.properties.metadata ??= { type: ['object', 'null'] };
    }
    if (!preserves && node.additionalProperties === undefined) node.additionalProperties = false;
  }
  if (isObject(node.additionalProperties)) strictify(node.additionalProperties, true);
  if (isObject(node.items)) strictify(node.items, true);
  if (Array.isArray(node.items)) node.items.forEach((s) => strictify(s, true));
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(node[key])) node[key].forEach((s) => strictify(s, false));
  }
  if (isObject(node.not)) strictify(node.not, false);
  return node;
}

/** The Kubernetes definitions made strict once; IntOrString and Quantity widened. */
function strictDefinitions(openapi) {
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

/** Names of the definitions reachable from `start` through $ref. */
function reachable(defs, start) {
  const seen = new Set();
  const todo = [...start];
  while (todo.length > 0) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    if (!defs[name]) throw new Error(`unresolved $ref to #/definitions/${name}`);
    seen.add(name);
    JSON.stringify(defs[name], (key, value) => {
      if (key === '$ref' && typeof value === 'string') todo.push(value.replace('#/definitions/', ''));
      return value;
    });
  }
  return seen;
}

/** A self-contained schema: `root` plus the definitions it references. */
function standalone(defs, root) {
  const names = reachable(defs, refsOf(root));
  const definitions = {};
  for (const name of [...names].sort()) definitions[name] = defs[name];
  return { $schema: DRAFT4, ...root, definitions };
}

function refsOf(schema) {
  const refs = [];
  JSON.stringify(schema, (key, value) => {
    if (key === '$ref' && typeof value === 'string') refs.push(value.replace('#/definitions/', ''));
    return value;
  });
  return refs;
}

/**
 * Strict schema of a custom resource from its openAPIV3Schema (a CRD version's, or a catalogue file):
 * metadata is an ObjectMeta and the top level allows only apiVersion, kind, metadata and the schema's own fields.
 */
function customResourceSchema(defs, openAPIV3Schema) {
  const schema = strictify(structuredClone(openAPIV3Schema), false);
  schema.type = 'object';
  schema.properties ??= {};
  schema.properties.apiVersion = { type: 'string' };
  schema.properties.kind = { type: 'string' };
  schema.properties.metadata = { $ref: `#/definitions/${OBJECT_META}` };
  if (schema['x-kubernetes-preserve-unknown-fields'] !== true) schema.additionalProperties = false;
  return standalone(defs, schema);
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}

/** File name of a kind's schema inside the output directory. */
function schemaFile(out, group, version, kind) {
  return path.join(out, group || 'v1', `${kind.toLowerCase()}_${version}.json`);
}

/** Writes every built-in kind and every catalogue CRD of `dir` to `out`; returns the number of files. */
function generateAll(dir, out) {
  const openapi = JSON.parse(fs.readFileSync(path.join(dir, 'kubernetes-openapi-v2.json'), 'utf8'));
  const defs = strictDefinitions(openapi);
  let files = 0;
  for (const [name, def] of Object.entries(openapi.definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      writeJson(
        schemaFile(out, gvk.group, gvk.version, gvk.kind),
        standalone(defs, { $ref: `#/definitions/${name}` }),
      );
      files++;
    }
  }
  for (const file of listCrdSchemaFiles(dir)) {
    const rel = path.relative(path.join(dir, 'crds'), file);
    writeJson(path.join(out, rel), customResourceSchema(defs, JSON.parse(fs.readFileSync(file, 'utf8'))));
    files++;
  }
  return files;
}

/** The output directory for the current inputs and generator: .local/k8s-schemas/<fingerprint>. */
function outputDir(dir) {
  const hash = createHash('sha256');
  for (const file of [__filename, path.join(dir, 'kubernetes-openapi-v2.json'), ...listCrdSchemaFiles(dir)]) {
    hash.update(path.basename(file)).update(fs.readFileSync(file));
  }
  return path.join(REPO_ROOT, '.local', 'k8s-schemas', hash.digest('hex').slice(0, 16));
}

/** Generates the schemas unless this exact version is already there; returns the directory. */
function ensureSchemas() {
  const dir = inputDir();
  const out = outputDir(dir);
  if (fs.existsSync(path.join(out, '.complete'))) return out;
  // Build beside it and rename, so concurrent runs never see a half-written directory.
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = fs.mkdtempSync(`${out}.tmp-`);
  try {
    const files = generateAll(dir, tmp);
    fs.writeFileSync(path.join(tmp, '.complete'), `${files} schemas from ${dir}\n`);
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (fs.existsSync(path.join(out, '.complete'))) return out; // another run won the race
    throw err;
  }
  return out;
}

/** Writes the schemas of every CustomResourceDefinition found in the YAML `files` to `out`. */
function writeCrdSchemas(files, out) {
  const YAML = require('yaml');
  const openapi = JSON.parse(fs.readFileSync(path.join(inputDir(), 'kubernetes-openapi-v2.json'), 'utf8'));
  const defs = strictDefinitions(openapi);
  const written = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJS();
      if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec?.versions ?? []) {
        const schema = version.schema?.openAPIV3Schema;
        if (!schema) continue;
        const target = schemaFile(out, crd.spec.group, version.name, crd.spec.names.kind);
        writeJson(target, customResourceSchema(defs, schema));
        written.push(target);
      }
    }
  }
  return written;
}

function main(argv) {
  if (argv.includes('--help')) {
    console.log(
      'Usage: node scripts/k8s-schemas.js                      print the generated schema directory\n' +
        '       node scripts/k8s-schemas.js --crd FILE... --out DIR   schemas of the CRDs in FILEs',
    );
    return;
  }
  const crdAt = argv.indexOf('--crd');
  if (crdAt >= 0) {
    const outAt = argv.indexOf('--out');
    if (outAt < 0 || !argv[outAt + 1]) throw new Error('--crd needs --out DIR');
    const files = argv.slice(crdAt + 1).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--out');
    for (const file of writeCrdSchemas(files, argv[outAt + 1])) console.log(file);
    return;
  }
  console.log(ensureSchemas());
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`k8s-schemas: ${err.message}`);
    process.exit(1);
  }
}

module.exports = { ensureSchemas, writeCrdSchemas, strictify, customResourceSchema };

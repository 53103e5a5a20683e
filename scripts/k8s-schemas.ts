/**
 * Strict, standalone JSON schemas for kubeconform, generated offline from the read-only inputs in
 * ../shared/k8s-schemas (or $K8S_SCHEMAS_DIR): one file per kind and version,
 * <out>/<group>/<kind>_<version>.json (the core group is "v1", as kubeconform's {{ .Group }} names it),
 * matched by `kubeconform -schema-location '<out>/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'`.
 * What "strict" means is in scripts/k8s-schemas/strict.ts.
 *
 *   node scripts/k8s-schemas.ts                  generate (once per input version) and print the directory
 *   node scripts/k8s-schemas.ts --crd FILE... --out DIR
 *                                                write schemas of the CustomResourceDefinitions in FILEs
 *
 * The output goes under .local/ (ignored by git); the inputs are never copied into the repository.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  customResourceSchema,
  isObject,
  standalone,
  strictDefinitions,
  type Definitions,
  type SchemaNode,
} from './k8s-schemas/strict.ts';

const SCRIPTS = path.dirname(path.resolve(process.argv[1] ?? 'scripts/k8s-schemas.ts'));
const REPO_ROOT = path.dirname(SCRIPTS);
/** The generator's own files: a change to either makes a new output directory. */
const GENERATOR = [path.join(SCRIPTS, 'k8s-schemas.ts'), path.join(SCRIPTS, 'k8s-schemas', 'strict.ts')];

interface OpenApi {
  definitions: Definitions;
}

/** The input directory: $K8S_SCHEMAS_DIR, else ../shared/k8s-schemas beside the repository. */
function inputDir(): string {
  const dir = process.env['K8S_SCHEMAS_DIR'] || path.join(REPO_ROOT, '..', 'shared', 'k8s-schemas');
  if (!fs.existsSync(path.join(dir, 'kubernetes-openapi-v2.json'))) {
    throw new Error(
      `no Kubernetes schemas at ${dir} (kubernetes-openapi-v2.json is missing): ` +
        'set K8S_SCHEMAS_DIR to the k8s-schemas directory, or put it at ../shared/k8s-schemas beside the repository',
    );
  }
  return dir;
}

const readOpenApi = (dir: string): OpenApi =>
  JSON.parse(fs.readFileSync(path.join(dir, 'kubernetes-openapi-v2.json'), 'utf8')) as OpenApi;

function listCrdSchemaFiles(dir: string): string[] {
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

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}

/** File name of a kind's schema inside the output directory. */
function schemaFile(out: string, group: string | undefined, version: string, kind: string): string {
  return path.join(out, group || 'v1', `${kind.toLowerCase()}_${version}.json`);
}

/** Writes every built-in kind and every catalogue CRD of `dir` to `out`; returns the number of files. */
function generateAll(dir: string, out: string): number {
  const openapi = readOpenApi(dir);
  const defs = strictDefinitions(openapi);
  let files = 0;
  for (const [name, def] of Object.entries(openapi.definitions)) {
    const gvks = (def['x-kubernetes-group-version-kind'] ?? []) as {
      group?: string;
      version: string;
      kind: string;
    }[];
    for (const gvk of gvks) {
      writeJson(
        schemaFile(out, gvk.group, gvk.version, gvk.kind),
        standalone(defs, { $ref: `#/definitions/${name}` }),
      );
      files++;
    }
  }
  for (const file of listCrdSchemaFiles(dir)) {
    const rel = path.relative(path.join(dir, 'crds'), file);
    const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as SchemaNode;
    writeJson(path.join(out, rel), customResourceSchema(defs, schema));
    files++;
  }
  return files;
}

/** The output directory for the current inputs and generator: .local/k8s-schemas/<fingerprint>. */
function outputDir(dir: string): string {
  const hash = createHash('sha256');
  for (const file of [
    ...GENERATOR,
    path.join(dir, 'kubernetes-openapi-v2.json'),
    ...listCrdSchemaFiles(dir),
  ]) {
    hash.update(path.basename(file)).update(fs.readFileSync(file));
  }
  return path.join(REPO_ROOT, '.local', 'k8s-schemas', hash.digest('hex').slice(0, 16));
}

/** Generates the schemas unless this exact version is already there; returns the directory. */
function ensureSchemas(): string {
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

interface Crd {
  kind?: unknown;
  spec?: {
    group?: string;
    names: { kind: string };
    versions?: { name: string; schema?: { openAPIV3Schema?: SchemaNode } }[];
  };
}

/** Writes the schemas of every CustomResourceDefinition found in the YAML `files` to `out`. */
function writeCrdSchemas(files: readonly string[], out: string): string[] {
  const defs = strictDefinitions(readOpenApi(inputDir()));
  const written: string[] = [];
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as unknown;
      if (!isObject(crd) || crd['kind'] !== 'CustomResourceDefinition') continue;
      const { spec } = crd as Crd;
      for (const version of spec?.versions ?? []) {
        const schema = version.schema?.openAPIV3Schema;
        if (!schema || !spec) continue;
        const target = schemaFile(out, spec.group, version.name, spec.names.kind);
        writeJson(target, customResourceSchema(defs, schema));
        written.push(target);
      }
    }
  }
  return written;
}

function main(argv: readonly string[]): void {
  if (argv.includes('--help')) {
    console.log(
      'Usage: node scripts/k8s-schemas.ts                      print the generated schema directory\n' +
        '       node scripts/k8s-schemas.ts --crd FILE... --out DIR   schemas of the CRDs in FILEs',
    );
    return;
  }
  const crdAt = argv.indexOf('--crd');
  if (crdAt >= 0) {
    const outAt = argv.indexOf('--out');
    const out = outAt < 0 ? undefined : argv[outAt + 1];
    if (!out) throw new Error('--crd needs --out DIR');
    const files = argv.slice(crdAt + 1).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--out');
    for (const file of writeCrdSchemas(files, out)) console.log(file);
    return;
  }
  console.log(ensureSchemas());
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`k8s-schemas: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

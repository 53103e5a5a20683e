/**
 * Offline Kubernetes checks for the delivery tests: render the Helm chart with the real `helm`, and
 * validate any manifests strictly with the real `kubeconform` against the Kubernetes and CRD schemas of
 * ../shared/k8s-schemas (or $K8S_SCHEMAS_DIR), made strict by scripts/k8s-schemas.ts: unknown fields,
 * wrong types and duplicate keys are errors, and a kind without a schema is an error, never skipped.
 *
 *   const { objects } = await helmTemplate({ valuesFiles: ['ci/keda-values.yaml'] });
 *   const report = await validateManifests(objects);            // or YAML text, or one object
 *   expect(report.problems).toEqual([]);
 *
 * Custom resources of a CRD that is not in the schema catalogue (the operator's TelemetryPipeline) are
 * checked against that CRD's own openAPIV3Schema: put the CRD in the input, or pass it as `crds`.
 * The tools come from `bash scripts/tools.sh install` (helm, kubeconform, built once from source).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CHART_DIR = path.join(REPO_ROOT, 'charts', 'telemetry-pulse');
/**
 * The Kubernetes version helm renders for unless told otherwise: the one of the schemas. Always passed, because
 * helm's own default is the version of the client-go it was built with (1.37 for helm 4.3), not the schemas'.
 */
export const DEFAULT_KUBE_VERSION = '1.35.0';

/** A Kubernetes object as rendered: the fields every kind has, the rest left open. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** One reason a manifest is invalid: which object, where in it (a JSON pointer), and what is wrong. */
export interface Problem {
  readonly resource: string; // Kind/name (apiVersion)
  readonly path: string;
  readonly message: string;
}

export interface ValidationReport {
  /** Objects kubeconform looked at. */
  readonly resources: number;
  readonly valid: boolean;
  readonly problems: readonly Problem[];
}

export interface ValidateOptions {
  /**
   * CustomResourceDefinitions (YAML text, objects, or paths of YAML files) whose openAPIV3Schema
   * validates their custom resources in the input. CRDs inside the input are used the same way.
   */
  readonly crds?: readonly (string | KubeObject)[];
}

export interface HelmOptions {
  /** Chart directory; charts/telemetry-pulse by default. */
  readonly chart?: string;
  readonly release?: string;
  readonly namespace?: string;
  /** Values files, relative to the chart directory or absolute (e.g. `ci/keda-values.yaml`). */
  readonly valuesFiles?: readonly string[];
  /** Values given inline, applied after the files (written to a temporary values file). */
  readonly values?: Record<string, unknown>;
  /** Extra API versions the pretend cluster serves, e.g. `monitoring.coreos.com/v1` (`--api-versions`). */
  readonly apiVersions?: readonly string[];
  /** Render crds/ too (`--include-crds`). */
  readonly includeCrds?: boolean;
  /** Render helm test hooks too; on by default (helm template's own default). */
  readonly includeTests?: boolean;
  /** `--kube-version`; DEFAULT_KUBE_VERSION when not given. */
  readonly kubeVersion?: string;
}

/** One way of rendering the chart: the defaults, or a ci/*-values.yaml file, with the flags it needs. */
export interface ChartScenario {
  readonly name: string;
  readonly options: HelmOptions;
}

export interface Rendered {
  readonly yaml: string;
  readonly objects: KubeObject[];
}

const tools = new Map<string, string>();

/** A tool's path (scripts/tools.sh path NAME), or an error saying how to build it. */
export function toolPath(name: 'helm' | 'kubeconform'): string {
  const known = tools.get(name);
  if (known) return known;
  let found: string;
  try {
    found = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'tools.sh'), 'path', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    throw new Error(
      `${name} is not installed: run \`bash scripts/tools.sh install\` (builds it once into .local/bin)`,
    );
  }
  tools.set(name, found);
  return found;
}

/** The read-only schema inputs: $K8S_SCHEMAS_DIR, else ../shared/k8s-schemas beside the repository. */
export function k8sSchemasDir(): string {
  const dir = process.env['K8S_SCHEMAS_DIR'] || path.join(REPO_ROOT, '..', 'shared', 'k8s-schemas');
  if (!existsSync(path.join(dir, 'kubernetes-openapi-v2.json'))) {
    throw new Error(
      `no Kubernetes schemas at ${dir}: set K8S_SCHEMAS_DIR to the k8s-schemas directory ` +
        '(kubernetes-openapi-v2.json and crds/), or put it at ../shared/k8s-schemas beside the repository',
    );
  }
  return dir;
}

let generated: string | undefined;
// Node runs the .ts script as it is; without a package type it would say so on stderr at every start.
const NO_TYPELESS_WARNING = '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON';

/** The strict standalone schemas under .local/k8s-schemas/<fingerprint>, generated on first use. */
export async function strictSchemasDir(): Promise<string> {
  if (generated) return generated;
  k8sSchemasDir(); // the clear error first
  const { stdout } = await run(process.execPath, [
    NO_TYPELESS_WARNING,
    path.join(REPO_ROOT, 'scripts', 'k8s-schemas.ts'),
  ]);
  generated = stdout.trim();
  return generated;
}

/** Every object of a multi-document YAML text, empty documents dropped; a YAML error throws. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new Error('a YAML document is not an object');
    objects.push(value as KubeObject);
  }
  return objects;
}

/** Objects as one multi-document YAML text. */
export function toYaml(objects: readonly unknown[]): string {
  return objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join('---\n');
}

/** `helm template` of the chart; a template `fail` or an invalid value throws with helm's message. */
export async function helmTemplate(options: HelmOptions = {}): Promise<Rendered> {
  const args = [
    'template',
    options.release ?? 'tp',
    options.chart ?? CHART_DIR,
    '--namespace',
    options.namespace ?? 'telemetry',
  ];
  if (options.includeCrds) args.push('--include-crds');
  if (options.includeTests === false) args.push('--skip-tests');
  args.push('--kube-version', options.kubeVersion ?? DEFAULT_KUBE_VERSION);
  for (const v of options.apiVersions ?? []) args.push('--api-versions', v);
  return withTempDir(async (tmp) => {
    args.push(...valuesArgs(options, tmp));
    const { stdout } = await run(toolPath('helm'), args, { env: helmEnv() });
    return { yaml: stdout, objects: parseManifests(stdout) };
  });
}

/** Any helm command, run from the repository root as a user would type it; returns stdout, throws on failure. */
export async function helm(args: readonly string[]): Promise<string> {
  const { stdout } = await run(toolPath('helm'), args, { env: helmEnv(), cwd: REPO_ROOT });
  return stdout;
}

/** `helm lint --strict` of the chart with the given values; never throws on lint findings. */
export async function helmLint(options: HelmOptions = {}): Promise<{ ok: boolean; output: string }> {
  const args = [
    'lint',
    options.chart ?? CHART_DIR,
    '--strict',
    '--namespace',
    options.namespace ?? 'telemetry',
  ];
  if (options.kubeVersion) args.push('--kube-version', options.kubeVersion);
  return withTempDir(async (tmp) => {
    args.push(...valuesArgs(options, tmp));
    const r = await run(toolPath('helm'), args, { env: helmEnv(), allowFailure: true });
    return { ok: r.code === 0, output: `${r.stdout}${r.stderr}` };
  });
}

/** Flags some ci scenarios need beyond their values file, e.g. the CRD APIs their objects need. */
const SCENARIO_FLAGS: Record<string, Partial<HelmOptions>> = {
  monitoring: { apiVersions: ['monitoring.coreos.com/v1'] },
  operator: { includeCrds: true },
  'operator-beside': { includeCrds: true },
};

/** The chart's defaults plus every charts/telemetry-pulse/ci/<name>-values.yaml, in name order. */
export function chartScenarios(): ChartScenario[] {
  const files = readdirSync(path.join(CHART_DIR, 'ci'))
    .filter((f) => f.endsWith('-values.yaml'))
    .sort();
  return [
    { name: 'default', options: {} },
    ...files.map((file) => {
      const name = file.replace(/-values\.yaml$/, '');
      return { name, options: { ...SCENARIO_FLAGS[name], valuesFiles: [`ci/${file}`] } };
    }),
  ];
}

/**
 * Validates manifests strictly with kubeconform. Never throws for invalid manifests (see `problems`);
 * throws when the tools or schemas are missing.
 */
export async function validateManifests(
  input: string | KubeObject | readonly KubeObject[],
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const text = typeof input === 'string' ? input : toYaml(Array.isArray(input) ? input : [input]);
  const schemas = await strictSchemasDir();
  return withTempDir(async (tmp) => {
    const locations: string[] = [];
    const crdFile = path.join(tmp, 'crds.yaml');
    const crdTexts = [...(options.crds ?? []).map(crdText), crdsIn(text)].filter((t) => t.trim() !== '');
    if (crdTexts.length > 0) {
      writeFileSync(crdFile, crdTexts.join('\n---\n'));
      const own = path.join(tmp, 'schemas');
      await run(process.execPath, [
        NO_TYPELESS_WARNING,
        path.join(REPO_ROOT, 'scripts', 'k8s-schemas.ts'),
        '--crd',
        crdFile,
        '--out',
        own,
      ]);
      locations.push(own);
    }
    locations.push(schemas);
    const args = ['-strict', '-summary', '-verbose', '-output', 'json'];
    for (const dir of locations) {
      args.push('-schema-location', `${dir}/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`);
    }
    const r = await run(toolPath('kubeconform'), args, { input: text, allowFailure: true });
    return reportOf(r.stdout, r.stderr);
  });
}

/** Problems as readable lines, for test failure messages. */
export function formatProblems(report: ValidationReport): string {
  return report.problems.map((p) => `${p.resource} ${p.path || '/'}: ${p.message}`).join('\n');
}

interface KubeconformResult {
  kind: string;
  name: string;
  version: string;
  status: string;
  msg: string;
  validationErrors?: { path: string; msg: string }[];
}

function reportOf(stdout: string, stderr: string): ValidationReport {
  let parsed: { resources?: KubeconformResult[]; summary?: Record<string, number> };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new Error(`kubeconform did not answer in JSON: ${stdout}${stderr}`);
  }
  const results = parsed.resources ?? [];
  const problems: Problem[] = [];
  for (const r of results) {
    if (r.status === 'statusValid' || r.status === 'statusEmpty') continue;
    const resource = `${r.kind || '?'}/${r.name || '?'} (${r.version || '?'})`;
    const details = detailsOf(r.msg);
    if (details.length === 0) problems.push({ resource, path: '', message: r.msg || r.status });
    for (const d of details) problems.push({ resource, ...d });
  }
  const counted = results.filter((r) => r.status !== 'statusEmpty').length;
  return { resources: counted, valid: problems.length === 0, problems };
}

/** The leaf errors of kubeconform's message: "- at '/spec': additional properties 'replica' not allowed". */
function detailsOf(msg: string): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const m of msg.matchAll(/- at '([^']*)': (.*?)(?=\s+- at '|$)/g)) {
    const message = (m[2] ?? '').trim();
    if (message !== 'validation failed') out.push({ path: m[1] ?? '', message });
  }
  return out;
}

/** The CustomResourceDefinitions inside a YAML text, as YAML (tolerates invalid documents: kubeconform reports them). */
function crdsIn(text: string): string {
  let objects: KubeObject[];
  try {
    objects = parseManifests(text);
  } catch {
    return '';
  }
  return toYaml(objects.filter((o) => o.kind === 'CustomResourceDefinition'));
}

function crdText(crd: string | KubeObject): string {
  if (typeof crd !== 'string') return toYaml([crd]);
  if (!crd.includes('\n') && existsSync(crd)) return readFileSync(crd, 'utf8');
  return crd;
}

function valuesArgs(options: HelmOptions, tmp: string): string[] {
  const chart = options.chart ?? CHART_DIR;
  const args: string[] = [];
  for (const f of options.valuesFiles ?? []) args.push('--values', path.resolve(chart, f));
  if (options.values) {
    const file = path.join(tmp, 'inline-values.json'); // JSON is YAML
    writeFileSync(file, JSON.stringify(options.values));
    args.push('--values', file);
  }
  return args;
}

/** Helm's config, cache and data under .local/helm: the tests never touch the user's helm setup. */
function helmEnv(): NodeJS.ProcessEnv {
  const home = path.join(REPO_ROOT, '.local', 'helm');
  return {
    ...process.env,
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const base = path.join(REPO_ROOT, '.local', 'tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'kube-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * stderr without helm's notice for each symbolic link under files/ (expected: they keep one source); helm 4
 * logs it as `level=INFO msg="found symbolic link in path…" path=… resolved=…`.
 */
function withoutNotices(stderr: string): string {
  return stderr.replace(/^level=INFO msg="found symbolic link in path\b.*\n?/gm, '').trim();
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit throws with its stderr unless `allowFailure`. */
async function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; allowFailure?: boolean } = {},
): Promise<RunResult> {
  if (opts.input === undefined) {
    try {
      const { stdout, stderr } = await promisify(execFile)(cmd, args, {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      const result = {
        code: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
      if (opts.allowFailure) return result;
      throw new Error(
        `${path.basename(cmd)} ${args.join(' ')} failed: ${withoutNotices(result.stderr) || String(err)}`,
      );
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (code === 0 || opts.allowFailure) resolve(result);
      else reject(new Error(`${path.basename(cmd)} failed (${code}): ${stderr.trim()}`));
    });
    child.stdin.end(opts.input);
  });
}

// --- Typed views of rendered objects: the pods inside workloads, their containers and env, selectors. ---
// Only the fields the tests read are typed.

export type Labels = Record<string, string>;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
  };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; emptyDir?: unknown; hostPath?: unknown; configMap?: { name: string } }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector?: { matchLabels?: Labels } }[];
}

/** A pod as rendered: the object that holds it (Deployment, Pod…), its labels and spec. */
export interface RenderedPod {
  readonly owner: KubeObject;
  readonly labels: Labels;
  readonly spec: PodSpec;
}

interface Template {
  metadata?: { labels?: Labels };
  spec: PodSpec;
}

/** Every pod the objects would create: bare Pods and the templates of workloads. */
export function podsOf(objects: readonly KubeObject[]): RenderedPod[] {
  const pods: RenderedPod[] = [];
  for (const o of objects) {
    const spec = o['spec'] as Record<string, unknown> | undefined;
    if (o.kind === 'Pod' && spec)
      pods.push({ owner: o, labels: o.metadata.labels ?? {}, spec: spec as unknown as PodSpec });
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind) && spec) {
      const t = spec['template'] as Template;
      pods.push({ owner: o, labels: t.metadata?.labels ?? {}, spec: t.spec });
    }
    if (o.kind === 'CronJob' && spec) {
      const t = (spec['jobTemplate'] as { spec: { template: Template } }).spec.template;
      pods.push({ owner: o, labels: t.metadata?.labels ?? {}, spec: t.spec });
    }
  }
  return pods;
}

export function containersOf(pod: RenderedPod): Container[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
}

/** Whether `selector` (matchLabels) selects an object labelled `labels`. */
export function selects(selector: Labels | undefined, labels: Labels): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** A field by dotted path, e.g. `spec.selector.matchLabels`; undefined when absent. */
export function field<T = unknown>(o: unknown, dotted: string): T | undefined {
  let cur: unknown = o;
  for (const key of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur as T | undefined;
}

export function describeObject(o: KubeObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

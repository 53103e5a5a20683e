import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './reliability/process';

/**
 * The single-node cluster of scripts/cluster.sh, as test/cluster sees it: its kubectl, helm and ctr, run as
 * processes (what a user types), with the admin kubeconfig that scripts/test-cluster.sh exports.
 */

/** The host's end of the node link: pods reach the host's Kafka and PostgreSQL here (scripts/cluster.sh). */
export const HOST_IP = '10.250.0.1';
/** The node's address: the API server's endpoint behind the `kubernetes` Service. */
export const NODE_IP = '10.250.0.2';
export const POD_CIDR = '10.244.0.0/16';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the cluster tests with npm run test:cluster`);
  return value;
}

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Runs a command; rejects with its output unless `allowFailure`. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; allowFailure?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        maxBuffer: 1 << 26,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 600_000,
        cwd: REPO_ROOT,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (err && !opts.allowFailure) {
          reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${code}): ${stderr || stdout}`));
          return;
        }
        resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

const kubeEnv = (): NodeJS.ProcessEnv => {
  const helmHome = path.join(REPO_ROOT, '.local', 'helm');
  return {
    ...process.env,
    KUBECONFIG: required('CLUSTER_KUBECONFIG'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
  };
};

export const kubectl = (args: readonly string[], opts: { input?: string; allowFailure?: boolean } = {}) =>
  run(path.join(required('CLUSTER_BIN'), 'kubectl'), args, { ...opts, env: kubeEnv() });

/** kubectl … -o json, parsed. */
export async function kubectlJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await kubectl([...args, '-o', 'json']);
  return JSON.parse(stdout) as T;
}

export const helm = (helmPath: string, args: readonly string[], opts: { allowFailure?: boolean } = {}) =>
  run(helmPath, args, { ...opts, env: kubeEnv(), timeoutMs: 900_000 });

/** ctr on the node's containerd (namespace k8s.io). */
export const ctr = (args: readonly string[]) =>
  run('bash', [path.join(REPO_ROOT, 'scripts', 'cluster.sh'), 'ctr', ...args]);

export interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { containers: { image: string }[]; initContainers?: { image: string }[] };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; imageID: string }[];
  };
}

export async function pods(namespace: string, selector?: string): Promise<Pod[]> {
  const args = ['-n', namespace, 'get', 'pods', ...(selector ? ['-l', selector] : [])];
  return (await kubectlJson<{ items: Pod[] }>(args)).items;
}

export const isReady = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Polls `check` every second until it returns a value (not undefined) or `ms` pass; then throws `what`. */
export async function eventually<T>(
  what: string,
  ms: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`${what} (after ${ms / 1000} s)${last ? `: ${String(last)}` : ''}`);
}

/** What the namespace held when a test failed, for whoever reads the CI log: pods, events, each pod's log. */
export async function dumpNamespace(namespace: string, file: string): Promise<void> {
  const parts: string[] = [];
  for (const args of [
    ['get', 'all,networkpolicies,events', '-o', 'wide'],
    ['describe', 'pods'],
  ]) {
    parts.push((await kubectl(['-n', namespace, ...args], { allowFailure: true })).stdout);
  }
  for (const p of await pods(namespace).catch(() => [])) {
    const logs = await kubectl(['-n', namespace, 'logs', p.metadata.name, '--all-containers', '--tail=80'], {
      allowFailure: true,
    });
    parts.push(`==> ${p.metadata.name} <==\n${logs.stdout}${logs.stderr}`);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, parts.join('\n'));
}

/**
 * `it` for the steps of one cluster test file, which depend on the ones before them: a step that throws
 * calls `onFail` (the file then dumps its namespaces for whoever reads the CI log).
 */
export function stepsMarking(onFail: () => void) {
  return (name: string, fn: () => Promise<void>, timeoutMs: number) =>
    it(
      name,
      async () => {
        try {
          await fn();
        } catch (err) {
          onFail();
          throw err;
        }
      },
      timeoutMs,
    );
}

/** `1234` ms as `1.2 s`, the way the cluster tests print their figures. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A test file's figures: each printed as it is measured and kept for the summary its afterAll prints. */
export function figureLog(): { figures: Record<string, string>; figure(name: string, value: string): void } {
  const figures: Record<string, string> = {};
  return {
    figures,
    figure(name, value) {
      figures[name] = value;
      console.log(`figure: ${name}: ${value}`);
    },
  };
}

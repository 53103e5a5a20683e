import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { waitFor } from './infra';
import { OPERATOR_USER, type KubeCluster } from './kube-api-server';

const REPO = path.resolve(__dirname, '..', '..');
const MAIN = path.join(REPO, 'services', 'operator', 'dist', 'main.js');
export const CRD_FILE = path.join(
  REPO,
  'charts',
  'telemetry-pulse',
  'crds',
  'telemetrypipelines.telemetrypulse.io.yaml',
);
export const OPERATOR_NAMESPACE = 'telemetry-pulse-system';
export const PIPELINES = '/apis/telemetrypulse.io/v1alpha1';

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

async function must(cluster: KubeCluster, method: string, apiPath: string, body?: unknown): Promise<void> {
  const r = await cluster.call(method, apiPath, body);
  if (r.status >= 300 && r.status !== 409)
    throw new Error(`${method} ${apiPath}: ${r.status} ${JSON.stringify(r.body)}`);
}

/**
 * Installs the CRD (the chart's file) and grants the operator user exactly the rules of
 * k8s/operator/rbac.yaml: its ClusterRole, and its leader-election Role in the operator namespace.
 */
export async function installOperatorAccess(cluster: KubeCluster): Promise<void> {
  await must(
    cluster,
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    YAML.parse(readFileSync(CRD_FILE, 'utf8')),
  );
  await waitFor(
    'the CRD to be established',
    async () => {
      const r = await cluster.call<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/telemetrypipelines.telemetrypulse.io',
      );
      return r.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    },
    30_000,
  );
  await must(cluster, 'POST', '/api/v1/namespaces', { metadata: { name: OPERATOR_NAMESPACE } });
  const rbac = YAML.parseAllDocuments(
    readFileSync(path.join(REPO, 'k8s', 'operator', 'rbac.yaml'), 'utf8'),
  ).map((d) => d.toJS() as Obj);
  const user = [{ kind: 'User', name: OPERATOR_USER, apiGroup: 'rbac.authorization.k8s.io' }];
  const rbacApi = '/apis/rbac.authorization.k8s.io/v1';
  for (const o of rbac) {
    if (o.kind === 'ClusterRole') {
      await must(cluster, 'POST', `${rbacApi}/clusterroles`, o);
      await must(cluster, 'POST', `${rbacApi}/clusterrolebindings`, {
        metadata: { name: `${o.metadata.name}-user` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: o.metadata.name },
        subjects: user,
      });
    } else if (o.kind === 'Role') {
      await must(cluster, 'POST', `${rbacApi}/namespaces/${OPERATOR_NAMESPACE}/roles`, o);
      await must(cluster, 'POST', `${rbacApi}/namespaces/${OPERATOR_NAMESPACE}/rolebindings`, {
        metadata: { name: `${o.metadata.name}-user`, namespace: OPERATOR_NAMESPACE },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: o.metadata.name },
        subjects: user,
      });
    }
  }
}

export interface OperatorProcess {
  readonly port: number;
  logs(): string;
  get(pathname: string): Promise<{ status: number; text: string }>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** The compiled operator (`npx tsc --build` first) as the operator user, like the chart runs it. */
export async function startOperator(
  cluster: KubeCluster,
  port: number,
  env: Record<string, string> = {},
): Promise<OperatorProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing; run \`npx tsc --build\` first`);
  let logs = '';
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      KUBECONFIG: cluster.kubeconfig('operator'),
      OPERATOR_PORT: String(port),
      OPERATOR_HOST: '127.0.0.1',
      OPERATOR_LEASE_NAMESPACE: OPERATOR_NAMESPACE,
      OPERATOR_LEASE_DURATION: '4s',
      OPERATOR_RENEW_DEADLINE: '3s',
      OPERATOR_RETRY_PERIOD: '500ms',
      OPERATOR_LAG_INTERVAL: '1s',
      OPERATOR_REQUEUE_BASE: '100ms',
      OPERATOR_REQUEUE_MAX: '2s',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
  const get = async (pathname: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
    return { status: res.status, text: await res.text() };
  };
  await waitFor(
    'the operator to serve /healthz',
    async () => {
      if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}: ${logs}`);
      return (await get('/healthz')).status === 200 ? true : undefined;
    },
    30_000,
  );
  return {
    port,
    logs: () => logs,
    get,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** The value, or a test failure naming what was missing (instead of a non-null assertion). */
export function present<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be present`);
  return value;
}

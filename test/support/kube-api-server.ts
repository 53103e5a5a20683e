/**
 * A real Kubernetes API server on loopback for the operator's integration tests: kube-apiserver and etcd
 * built from the Go module proxy (scripts/kubernetes/, once, into .local/kube-bin/<hash>), started
 * per test file on free ports with a throw-away data directory. Authentication is by static tokens: an
 * admin (system:masters) for the test itself and `telemetry-pulse-operator`, a plain user with no rights
 * but those granted by k8s/operator/rbac.yaml. No controller manager runs: no garbage collector, no
 * Deployment controller (tests write Deployment status themselves).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const SOURCES = path.join(REPO, 'scripts', 'kubernetes');
export const OPERATOR_USER = 'telemetry-pulse-operator';

/**
 * kube-apiserver and etcd, built by scripts/kubernetes/build.sh unless this exact source is built
 * already (scripts/test.sh starts that build before jest, so usually it is).
 */
export function kubeBinaries(): { kubeApiserver: string; etcd: string } {
  let dir: string;
  try {
    // A cold build says so on stderr: jest shows nothing else until it ends.
    dir = execFileSync('bash', [path.join(SOURCES, 'build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 40 * 60_000,
    }).trim();
  } catch (err) {
    throw new Error(`could not build kube-apiserver and etcd: ${String(err)}`);
  }
  return { kubeApiserver: path.join(dir, 'kube-apiserver'), etcd: path.join(dir, 'etcd') };
}

/**
 * The client side of a test cluster, the same for the real and the in-process server: admin calls and
 * kubeconfig files for a server at `url` that presents a certificate signed by `caFile`.
 */
export function kubeClient(opts: {
  url: string;
  caFile: string;
  tokens: { admin: string; operator: string };
  dir: string;
}): Pick<KubeCluster, 'url' | 'call' | 'kubeconfig'> {
  const { url, caFile, tokens, dir } = opts;
  const call = <T>(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse<T>> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(`${url}${apiPath}`, {
        method,
        ca: readFileSync(caFile),
        headers: {
          authorization: `Bearer ${tokens.admin}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType } : {}),
        },
        timeout: 30_000,
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath}: no answer in 30 s`)));
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(text) as T }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    url,
    call,
    kubeconfig(user) {
      const file = path.join(dir, `kubeconfig-${user}.yaml`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'test', cluster: { server: url, 'certificate-authority': caFile } }],
          users: [{ name: user, user: { token: tokens[user] } }],
          contexts: [{ name: 'test', context: { cluster: 'test', user } }],
          'current-context': 'test',
        }),
      );
      return file;
    },
  };
}

/** JSON bodies parsed; anything else (`/readyz` answers `ok`) kept as `{ text }`. */
function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { text };
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface KubeResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

export interface KubeCluster {
  readonly url: string;
  /** A kubeconfig file for `user` (admin or the operator), for a process under test. */
  kubeconfig(user: 'admin' | 'operator'): string;
  /** One API call as the admin; JSON in and out; never throws on an HTTP error status. */
  call<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeResponse<T>>;
  /** Stops the API server and etcd, then starts the API server again on the same data (watches break). */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms: ${seen.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}: ${seen.slice(-2000)}`)));
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The cluster the operator's tests run against: a real kube-apiserver and etcd, never a stand-in. */
export async function startKubeCluster(): Promise<KubeCluster> {
  return startRealKubeCluster();
}

/** Starts etcd and kube-apiserver and waits until /readyz answers 200. */
export async function startRealKubeCluster(): Promise<KubeCluster> {
  const bins = kubeBinaries();
  const base = path.join(REPO, '.local', 'tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'kube-cluster-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const tokens = { admin: randomBytes(16).toString('hex'), operator: randomBytes(16).toString('hex') };
  writeFileSync(
    path.join(dir, 'tokens.csv'),
    `${tokens.admin},admin,admin,system:masters\n${tokens.operator},${OPERATOR_USER},${OPERATOR_USER}\n`,
  );
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };

  const etcd = spawn(
    bins.etcd,
    [path.join(dir, 'etcd'), `http://127.0.0.1:${etcdPort}`, `http://127.0.0.1:${peerPort}`],
    quiet,
  );
  await waitForLine(etcd, /etcd ready/, 30_000, 'etcd');
  const certDir = path.join(dir, 'certs');
  const args = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${certDir}`,
    `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    '--service-cluster-ip-range=10.96.0.0/24',
    '--disable-admission-plugins=ServiceAccount',
  ];
  let apiServer: ChildProcess | undefined;
  const url = `https://127.0.0.1:${apiPort}`;
  // The certificate file appears when the API server has made it; calls read it then.
  const client = kubeClient({ url, caFile: path.join(certDir, 'apiserver.crt'), tokens, dir });

  async function startApiServer(): Promise<void> {
    apiServer = spawn(bins.kubeApiserver, args, quiet);
    apiServer.stderr?.resume();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ready =
        existsSync(path.join(certDir, 'apiserver.crt')) &&
        (await client.call('GET', '/readyz').catch(() => undefined));
      if (ready && ready.status === 200) return;
      if (apiServer.exitCode !== null) throw new Error(`kube-apiserver exited with ${apiServer.exitCode}`);
      if (Date.now() > deadline) throw new Error('kube-apiserver not ready within 90 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await startApiServer();

  return {
    ...client,
    async restartApiServer() {
      await stopChild(apiServer);
      await startApiServer();
    },
    async stop() {
      await stopChild(apiServer);
      await stopChild(etcd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

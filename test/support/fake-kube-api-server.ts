/**
 * An in-process stand-in for kube-apiserver + etcd with the same `KubeCluster` interface as
 * kube-api-server.ts, so the operator's tests run in `npm test` without the 10-15 minute Go build.
 * HTTPS with a throw-away self-signed certificate (openssl) and static bearer tokens, like the real setup.
 *
 * Implemented faithfully for the kinds the operator and its tests use (see fake-kube/resources.ts):
 * discovery; get and list (label and metadata.name/namespace field selectors, list resourceVersion);
 * watch (`watch=1&resourceVersion=N`, JSON lines ADDED/MODIFIED/DELETED, label-selection enter/leave,
 * BOOKMARK on request, `timeoutSeconds`, 410 Gone as an ERROR event past a bounded per-kind history);
 * create (409 AlreadyExists, 404 for a missing namespace); PUT and patches with a resourceVersion
 * precondition (409 Conflict); no-op writes that bump nothing; deletion with finalizers (deletionTimestamp,
 * then DELETED once the last finalizer goes) and delete preconditions; generation bumped by changes
 * outside metadata and status only; the status subresource; merge patch, JSON patch, strategic merge
 * (approximated: lists of objects merge by `name`/`containerPort`/`port`/`mountPath`, no `$patch`
 * directives; 415 for custom resources, as the real server answers) and server-side apply; CRD schema
 * defaults; Secret `stringData`; `Status` bodies with the real codes, reasons and messages.
 *
 * Not implemented: authorization (RBAC objects are stored, not enforced: every token may do everything),
 * admission, schema validation and pruning, most built-in defaulting (only Deployment replicas, Service
 * type and clusterIP), managedFields (server-side apply remembers each manager's last applied
 * configuration to remove what it stops applying, but never reports or resolves conflicts between
 * managers), field selectors other than metadata.name/namespace, list paging (`limit`/`continue`),
 * deletecollection, protobuf, other subresources. A deleted CRD takes its objects with it at once. Like
 * the real test setup there is no controller manager: no garbage collection of owned objects, no
 * Deployment controller, namespaces stay Terminating once deleted.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import path from 'node:path';
import { createHandler } from './fake-kube/server';
import { createStore } from './fake-kube/store';
import { kubeClient, type KubeCluster } from './kube-api-server';

const REPO = path.resolve(__dirname, '..', '..');

export interface FakeKubeOptions {
  /** Changes kept for watches to resume from; older resourceVersions answer 410 Gone. */
  readonly historySize?: number;
  readonly bookmarkMs?: number;
}

/** A self-signed certificate for 127.0.0.1, valid for a day. */
function certificate(dir: string): { key: string; cert: string; caFile: string } {
  const [keyFile, caFile] = [path.join(dir, 'server.key'), path.join(dir, 'server.crt')];
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', keyFile, '-out', caFile, '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(caFile, 'utf8'), caFile };
}

/** Starts the fake API server on a free loopback port. */
export async function startFakeKubeCluster(opts: FakeKubeOptions = {}): Promise<KubeCluster> {
  const base = path.join(REPO, '.local', 'tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'fake-kube-'));
  const tls = certificate(dir);
  const tokens = { admin: randomBytes(16).toString('hex'), operator: randomBytes(16).toString('hex') };
  const store = createStore({ historySize: opts.historySize ?? 1000 });
  const handler = createHandler({
    store,
    tokens: [tokens.admin, tokens.operator],
    bookmarkMs: opts.bookmarkMs ?? 60_000,
  });
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let port = 0;

  async function listen(): Promise<void> {
    const s = createServer({ key: tls.key, cert: tls.cert }, handler);
    s.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  }
  /** Like a stopped API server: every connection, watches included, is cut. */
  async function close(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise((r) => s.close(r));
    for (const socket of sockets) socket.destroy();
    await closed;
  }
  await listen();
  const url = `https://127.0.0.1:${port}`;

  return {
    ...kubeClient({ url, caFile: tls.caFile, tokens, dir }),
    async restartApiServer() {
      await close();
      // Down for a moment, as a real restart is: clients see their kept-alive connections closed.
      await new Promise((r) => setTimeout(r, 250));
      await listen();
    },
    async stop() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

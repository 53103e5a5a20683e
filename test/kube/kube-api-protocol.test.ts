import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { startKubeCluster, type KubeCluster } from '../support/kube-api-server';

type Meta = {
  name: string;
  resourceVersion: string;
  generation?: number;
  deletionTimestamp?: string;
  finalizers?: string[];
};
type Obj = { metadata: Meta; spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Status = { kind: string; code: number; reason: string };
type WatchEvent = { type: string; object: Obj & Partial<Status> };

const MERGE = 'application/merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';
const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

/** Reads a watch stream until `enough` says so (or 10 s pass), then hangs up. */
function watchLines(
  cluster: KubeCluster,
  apiPath: string,
  enough: (events: WatchEvent[]) => boolean,
): Promise<WatchEvent[]> {
  const config = JSON.parse(readFileSync(cluster.kubeconfig('admin'), 'utf8')) as {
    clusters: { cluster: { 'certificate-authority': string } }[];
    users: { user: { token: string } }[];
  };
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    const req = request(`${cluster.url}${apiPath}`, {
      ca: readFileSync(config.clusters[0]?.cluster['certificate-authority'] ?? ''),
      headers: { authorization: `Bearer ${config.users[0]?.user.token ?? ''}` },
    });
    const timer = setTimeout(() => done(), 10_000);
    const done = () => {
      clearTimeout(timer);
      req.destroy();
      resolve(events);
    };
    req.on('response', (res) => {
      let buffered = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        buffered += d;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        if (enough(events)) done();
      });
      res.on('end', done);
    });
    req.on('error', (err) => (events.length > 0 ? resolve(events) : reject(err)));
    req.end();
  });
}

/** The corners of the Kubernetes API the operator relies on, on a real kube-apiserver and etcd. */
describe('Kubernetes API protocol (kube-apiserver)', () => {
  let cluster: KubeCluster;
  const get = async (p: string) => (await cluster.call<Obj>('GET', p)).body;

  beforeAll(async () => {
    cluster = await startKubeCluster();
  }, 45 * 60_000);
  afterAll(() => cluster?.stop());

  it('answers 409 AlreadyExists to a second create, 409 Conflict to a write of a stale resourceVersion', async () => {
    const cm = { metadata: { name: 'stale' }, data: { a: '1' } };
    expect((await cluster.call('POST', CONFIGMAPS, cm)).status).toBe(201);
    const again = await cluster.call<Status>('POST', CONFIGMAPS, cm);
    expect(again).toMatchObject({
      status: 409,
      body: { kind: 'Status', reason: 'AlreadyExists', code: 409 },
    });
    const read = await get(`${CONFIGMAPS}/stale`);
    const put = (data: Record<string, string>) =>
      cluster.call<Status>('PUT', `${CONFIGMAPS}/stale`, { ...read, data });
    expect((await put({ a: '2' })).status).toBe(200);
    expect(await put({ a: '3' })).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    const patch = { metadata: { resourceVersion: read.metadata.resourceVersion }, data: { a: '4' } };
    const stalePatch = await cluster.call<Status>('PATCH', `${CONFIGMAPS}/stale`, patch, MERGE);
    expect(stalePatch).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    expect((await get(`${CONFIGMAPS}/stale`)).metadata).not.toHaveProperty('generation');
  });

  it('bumps generation on spec changes only; the status subresource writes status only', async () => {
    const labels = { app: 'gen' };
    const deployment = {
      metadata: { name: 'gen' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
      status: { replicas: 7 },
    };
    const created = await cluster.call<Obj>('POST', DEPLOYMENTS, deployment);
    expect(created.status).toBe(201);
    expect(created.body.metadata.generation).toBe(1);
    expect(created.body.status?.['replicas']).toBeUndefined(); // status is not the create's to set
    const path = `${DEPLOYMENTS}/gen`;
    const status = await cluster.call<Obj>('PATCH', `${path}/status`, { status: { replicas: 1 } }, MERGE);
    expect(status.body.metadata.generation).toBe(1);
    expect(status.body.status?.['replicas']).toBe(1);
    expect(Number(status.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.body.metadata.resourceVersion),
    );
    const ignored = { metadata: { labels: { x: 'y' } }, status: { replicas: 5 } };
    const label = await cluster.call<Obj>('PATCH', path, ignored, MERGE);
    expect(label.body.metadata.generation).toBe(1);
    expect(label.body.status?.['replicas']).toBe(1);
    const spec = await cluster.call<Obj>('PATCH', path, { spec: { replicas: 2 } }, MERGE);
    expect(spec.body.metadata.generation).toBe(2);
    const sameAgain = await cluster.call<Obj>('PATCH', path, { spec: { replicas: 2 } }, MERGE);
    expect(sameAgain.body.metadata.resourceVersion).toBe(spec.body.metadata.resourceVersion); // a no-op
  });

  it('keeps an object with finalizers until the last one goes, then reports it DELETED', async () => {
    const created = await cluster.call<Obj>('POST', CONFIGMAPS, {
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    const from = created.body.metadata.resourceVersion;
    const path = `${CONFIGMAPS}/held`;
    const watching = watchLines(
      cluster,
      `${CONFIGMAPS}?watch=1&resourceVersion=${from}&fieldSelector=metadata.name%3Dheld`,
      (events) => events.some((e) => e.type === 'DELETED'),
    );
    expect((await cluster.call('DELETE', path)).status).toBe(200);
    const held = await get(path);
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.metadata.finalizers).toEqual(['example.com/hold']);
    const more = { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } };
    expect((await cluster.call<Status>('PATCH', path, more, MERGE)).status).toBe(422);
    expect((await cluster.call('PATCH', path, { metadata: { finalizers: null } }, MERGE)).status).toBe(200);
    expect(await cluster.call<Status>('GET', path)).toMatchObject({
      status: 404,
      body: { reason: 'NotFound' },
    });
    const events = await watching;
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs[1]).toBeGreaterThan(rvs[0] ?? Infinity);
  });

  it('server-side apply creates, merges, and drops what the manager stops applying', async () => {
    const path = `${CONFIGMAPS}/applied?fieldManager=test&force=true`;
    const config = (data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied' },
      data,
    });
    expect((await cluster.call('PATCH', path, config({ a: '1', b: '2' }), APPLY)).status).toBe(201);
    await cluster.call('PATCH', `${CONFIGMAPS}/applied`, { data: { mine: 'x' } }, MERGE);
    const second = await cluster.call<{ data: Record<string, string> }>(
      'PATCH',
      path,
      config({ a: '1' }),
      APPLY,
    );
    expect(second.status).toBe(200);
    expect(second.body.data).toEqual({ a: '1', mine: 'x' });
    const noManager = await cluster.call<Status>('PATCH', `${CONFIGMAPS}/applied`, config({}), APPLY);
    expect(noManager).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
  });
});

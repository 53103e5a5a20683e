import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, createLogger, type Logger } from '@telemetry-pulse/shared';
import { createKindCache, type KindCache } from '../../services/operator/src/adapters/informers';
import {
  createKubeApi,
  describeError,
  statusCodeOf,
  type KubeApi,
} from '../../services/operator/src/adapters/kube-api';
import {
  createLeaderElector,
  type LeaderElector,
} from '../../services/operator/src/adapters/leader-election';
import { loadKubeConfig } from '../../services/operator/src/compose';
import { MANAGED_SELECTOR } from '../../services/operator/src/domain/names';
import {
  API_VERSION,
  FINALIZER,
  KIND,
  type KubeObject,
  type TelemetryPipeline,
} from '../../services/operator/src/domain/types';
import { waitFor } from '../support/infra';
import { startKubeCluster, type KubeCluster } from '../support/kube-api-server';
import { installOperatorAccess, OPERATOR_NAMESPACE, PIPELINES, present } from '../support/operator';

const NS = 'adapters';
const MANAGED = { 'app.kubernetes.io/managed-by': 'telemetry-pulse-operator' };
type Change = { event: 'add' | 'update' | 'delete'; name: string; data?: Record<string, string> };

/** Log lines kept in memory: the adapters' warnings are part of what a test may look at. */
function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'operator-adapters-test',
    level: 'debug',
    destination: { write: (line: string) => lines.push(line) },
  });
  return { logger, lines };
}

const configMap = (
  name: string,
  data: Record<string, string>,
  labels: Record<string, string> = MANAGED,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, labels },
  data,
});

/**
 * The operator's adapters over @kubernetes/client-node (an ECMAScript-only package, required from these
 * CommonJS tests: see .npmrc), called in-process as the operator user with only k8s/operator/rbac.yaml's
 * rights, against a real kube-apiserver and etcd. test/kube/operator.test.ts drives the same code through the
 * compiled process.
 */
describe('operator adapters against a Kubernetes API server', () => {
  let cluster: KubeCluster;
  let api: KubeApi;
  let dir: string;

  beforeAll(async () => {
    cluster = await startKubeCluster();
    await installOperatorAccess(cluster);
    await cluster.call('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    api = createKubeApi(loadKubeConfig(cluster.kubeconfig('operator')), 'adapters-test');
    dir = mkdtempSync(path.join(tmpdir(), 'operator-adapters-'));
  }, 45 * 60_000); // the first run may build kube-apiserver and etcd

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const read = async <T = KubeObject>(apiPath: string): Promise<T | undefined> => {
    const r = await cluster.call<T>('GET', apiPath);
    return r.status === 200 ? r.body : undefined;
  };
  const configMapPath = (name: string) => `/api/v1/namespaces/${NS}/configmaps/${name}`;

  describe('loadKubeConfig', () => {
    const failure = (file: string): string => {
      try {
        loadKubeConfig(file);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return present((err as ConfigError).problems[0], 'a problem');
      }
      throw new Error(`loadKubeConfig(${file}) did not fail`);
    };

    it('loads the kubeconfig the tests write, pointing at the cluster', () => {
      expect(loadKubeConfig(cluster.kubeconfig('operator')).getCurrentCluster()?.server).toBe(cluster.url);
    });

    it('reports a missing, empty or malformed kubeconfig in one line naming the file', () => {
      const empty = path.join(dir, 'empty.yaml');
      const blank = path.join(dir, 'blank.yaml');
      const garbage = path.join(dir, 'garbage.yaml');
      const noCluster = path.join(dir, 'no-cluster.yaml');
      writeFileSync(empty, '');
      writeFileSync(blank, '\n  \n');
      writeFileSync(garbage, 'clusters: [unclosed\n');
      writeFileSync(noCluster, 'apiVersion: v1\nkind: Config\n');
      const missing = path.join(dir, 'missing.yaml');
      const problems = [missing, empty, blank, garbage, noCluster].map(failure);
      expect(problems).toEqual([
        `KUBECONFIG ${missing}: cannot read it (ENOENT)`,
        `KUBECONFIG ${empty}: the file is empty (expected a kubeconfig: clusters, users, contexts)`,
        `KUBECONFIG ${blank}: the file is empty (expected a kubeconfig: clusters, users, contexts)`,
        expect.stringMatching(new RegExp(`^KUBECONFIG ${garbage}: not a kubeconfig \\(.+\\)$`)),
        `KUBECONFIG ${noCluster}: no current cluster`,
      ]);
      for (const p of problems) expect(p).not.toContain('\n');
    });
  });

  describe('KubeApi', () => {
    it("applies server-side: creates, then updates the fields it owns and leaves others' alone", async () => {
      await api.apply(configMap('applied', { a: '1', b: '1' }));
      // Another field manager adds a key; the operator's next apply (without b) must keep it.
      const r = await cluster.call(
        'PATCH',
        `${configMapPath('applied')}?fieldManager=someone-else`,
        { data: { c: 'theirs' } },
        'application/merge-patch+json',
      );
      expect(r.status).toBe(200);
      await api.apply(configMap('applied', { a: '2' }));
      const cm = await read<{ data: Record<string, string> }>(configMapPath('applied'));
      expect(cm?.data).toEqual({ a: '2', c: 'theirs' });
    });

    it('deletes, and deleting what is gone already is fine', async () => {
      await api.apply(configMap('doomed', { a: '1' }));
      await api.delete(configMap('doomed', {}));
      await waitFor('the ConfigMap to go', async () =>
        (await read(configMapPath('doomed'))) ? undefined : true,
      );
      await expect(api.delete(configMap('doomed', {}))).resolves.toBeUndefined();
    });

    it("turns the API server's refusal into one line with its code and message", async () => {
      const err: unknown = await api
        .apply({ ...configMap('nowhere', {}), metadata: { name: 'nowhere', namespace: 'no-such-namespace' } })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(statusCodeOf(err)).toBe(404);
      expect(describeError(err)).toBe('HTTP 404: namespaces "no-such-namespace" not found');
    });

    it("reads a Secret's keys decoded, and undefined for a Secret that does not exist", async () => {
      const r = await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
        metadata: { name: 'kafka' },
        stringData: { brokers: 'kafka-0:9092,kafka-1:9092', 'sasl.password': 'pä$$' },
      });
      expect(r.status).toBe(201);
      expect(await api.secretData(NS, 'kafka')).toEqual({
        brokers: 'kafka-0:9092,kafka-1:9092',
        'sasl.password': 'pä$$',
      });
      expect(await api.secretData(NS, 'absent')).toBeUndefined();
    });

    describe('on a TelemetryPipeline', () => {
      let pipeline: TelemetryPipeline;
      const pipelinePath = `${PIPELINES}/namespaces/${NS}/telemetrypipelines/lobby`;

      beforeAll(async () => {
        const r = await cluster.call<TelemetryPipeline>(
          'POST',
          `${PIPELINES}/namespaces/${NS}/telemetrypipelines`,
          {
            apiVersion: API_VERSION,
            kind: KIND,
            metadata: { name: 'lobby' },
            spec: {
              kafka: { brokersFrom: { name: 'kafka', key: 'brokers' } },
              database: { urlFrom: { name: 'postgres', key: 'url' } },
            },
          },
        );
        expect(r.status).toBe(201);
        pipeline = r.body;
      });

      it('sets finalizers only on the version it read (409 Conflict otherwise)', async () => {
        await api.setFinalizers(pipeline, [FINALIZER]);
        const updated = present(await read<TelemetryPipeline>(pipelinePath), 'the pipeline');
        expect(updated.metadata.finalizers).toEqual([FINALIZER]);
        // The version read before that write is stale now: someone else's change must not be lost.
        const stale = await api.setFinalizers(pipeline, []).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(statusCodeOf(stale)).toBe(409);
        expect((await read<TelemetryPipeline>(pipelinePath))?.metadata.finalizers).toEqual([FINALIZER]);
        await api.setFinalizers(updated, []);
        expect((await read<TelemetryPipeline>(pipelinePath))?.metadata.finalizers).toBeUndefined();
      });

      it('patches the status subresource', async () => {
        const condition = {
          type: 'Ready' as const,
          status: 'False' as const,
          reason: 'Progressing',
          message: 'waiting for the processor',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        };
        await api.patchStatus(pipeline, { observedGeneration: 1, conditions: [condition] });
        const p = await read<TelemetryPipeline>(pipelinePath);
        expect(p?.status).toEqual({ observedGeneration: 1, conditions: [condition] });
      });

      it('records an Event about the pipeline', async () => {
        await api.recordEvent(pipeline, {
          type: 'Warning',
          reason: 'SecretMissing',
          message: 'no Secret kafka',
        });
        const r = await cluster.call<{
          items: {
            reason: string;
            message: string;
            type: string;
            involvedObject: { name: string; uid: string };
          }[];
        }>('GET', `/api/v1/namespaces/${NS}/events`);
        expect(r.body.items.map((e) => [e.type, e.reason, e.message, e.involvedObject])).toContainEqual([
          'Warning',
          'SecretMissing',
          'no Secret kafka',
          expect.objectContaining({ name: 'lobby', uid: pipeline.metadata.uid }),
        ]);
      });
    });
  });

  describe('KindCache', () => {
    let cache: KindCache | undefined;
    afterEach(async () => {
      await cache?.stop();
      cache = undefined;
    });

    it("lists, then follows the watch of the operator's labelled objects only", async () => {
      await cluster.call('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap('before', { v: '0' }));
      await cluster.call('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap('foreign', {}, {}));
      const changes: Change[] = [];
      cache = createKindCache({
        kc: loadKubeConfig(cluster.kubeconfig('operator')),
        watched: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          plural: 'configmaps',
          labelSelector: MANAGED_SELECTOR,
        },
        namespace: NS,
        logger: memoryLogger().logger,
        onChange: (o, event) =>
          changes.push({ event, name: o.metadata.name, data: o['data'] as Record<string, string> }),
      });
      await cache.start();
      expect(cache.synced()).toBe(true);
      const names = () => (cache?.list(NS) ?? []).map((o) => o.metadata.name).sort();
      // What the earlier tests applied carries the label too.
      expect(names()).toEqual(expect.arrayContaining(['before']));
      expect(names()).not.toContain('foreign');
      expect(cache.get(NS, 'before')).toMatchObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        data: { v: '0' },
      });

      await cluster.call('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap('during', { v: '1' }));
      await cluster.call(
        'PATCH',
        configMapPath('during'),
        { data: { v: '2' } },
        'application/merge-patch+json',
      );
      await cluster.call('DELETE', configMapPath('during'));
      await waitFor('add, update and delete of "during"', async () =>
        changes.some((c) => c.name === 'during' && c.event === 'delete') ? true : undefined,
      );
      expect(changes.filter((c) => c.name === 'during')).toEqual([
        { event: 'add', name: 'during', data: { v: '1' } },
        { event: 'update', name: 'during', data: { v: '2' } },
        { event: 'delete', name: 'during', data: { v: '2' } },
      ]);
      expect(changes.map((c) => c.name)).not.toContain('foreign');
      expect(cache.get(NS, 'during')).toBeUndefined();
    });

    it('waits quietly for a kind the cluster does not serve (KEDA not installed)', async () => {
      const { logger, lines } = memoryLogger();
      cache = createKindCache({
        kc: loadKubeConfig(cluster.kubeconfig('operator')),
        watched: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects' },
        namespace: NS,
        logger,
        onChange: () => undefined,
      });
      await cache.start().catch(() => undefined); // app.ts logs a failed start the same way
      await waitFor('the informer to report the kind missing', async () =>
        lines.some((l) => l.includes('kind not served by this cluster')) ? true : undefined,
      );
      expect(cache.synced()).toBe(false);
      expect(cache.list()).toEqual([]);
      expect(lines.filter((l) => l.includes('"level":"warn"'))).toEqual([]);
    });
  });

  describe('LeaderElector', () => {
    const electors: LeaderElector[] = [];
    afterAll(async () => {
      await Promise.all(electors.map((e) => e.stop()));
    });

    it('lets one replica lead; its release hands the Lease to the standby at once', async () => {
      const stepDowns: string[] = [];
      const elector = (identity: string): LeaderElector => {
        const e = createLeaderElector(loadKubeConfig(cluster.kubeconfig('operator')), {
          name: 'adapters-test',
          namespace: OPERATOR_NAMESPACE,
          identity,
          ownerPod: {
            name: identity,
            uid: `00000000-0000-4000-8000-${identity === 'replica-a' ? 'a' : 'b'}00000000000`,
          },
          leaseDurationMs: 15_000, // long: only a release can hand over within this test
          renewDeadlineMs: 10_000,
          retryPeriodMs: 200,
          onStartedLeading: () => undefined,
          onStoppedLeading: () => stepDowns.push(identity),
          logger: memoryLogger().logger,
        });
        electors.push(e);
        return e;
      };
      const a = elector('replica-a');
      a.start();
      await waitFor('replica-a to lead', async () => (a.isLeader() ? true : undefined), 10_000);
      const b = elector('replica-b');
      b.start();
      await new Promise((r) => setTimeout(r, 1_000)); // five of b's tries
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
      type Lease = {
        metadata: { ownerReferences?: { kind: string; name: string }[] };
        spec: { holderIdentity: string };
      };
      const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/adapters-test`;
      const lease = await read<Lease>(leasePath);
      expect(lease?.spec.holderIdentity).toBe('replica-a');
      // Owned by the holder's pod: the garbage collector removes it with the pods (helm uninstall).
      expect(lease?.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['Pod/replica-a']);

      await a.stop();
      await waitFor('replica-b to take over', async () => (b.isLeader() ? true : undefined), 5_000);
      const taken = await read<Lease>(leasePath);
      expect(taken?.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['Pod/replica-b']);
      expect(a.isLeader()).toBe(false);
      expect(stepDowns).toEqual([]); // a stop is not a lost Lease
    });

    it('does not count as leading once its last renewal is older than the renew deadline (a stopped process)', async () => {
      let skewMs = 0;
      const e = createLeaderElector(loadKubeConfig(cluster.kubeconfig('operator')), {
        name: 'adapters-test-fence',
        namespace: OPERATOR_NAMESPACE,
        identity: 'replica-c',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 60_000, // no retry within the test: only the clock moves
        onStartedLeading: () => undefined,
        onStoppedLeading: () => undefined,
        logger: memoryLogger().logger,
        now: () => Date.now() + skewMs,
      });
      electors.push(e);
      e.start();
      await waitFor('replica-c to lead', async () => (e.isLeader() ? true : undefined), 10_000);
      // As after SIGSTOP/SIGCONT: 11 s passed with no renewal; the standby may hold the Lease by now.
      skewMs = 11_000;
      expect(e.isLeader()).toBe(false);
    });
  });
});

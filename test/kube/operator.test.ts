import { spawnSync } from 'node:child_process';
import { BROKERS, uniqueName, waitFor } from '../support/infra';
import { startKubeCluster, type KubeCluster } from '../support/kube-api-server';
import {
  installOperatorAccess,
  OPERATOR_NAMESPACE,
  PIPELINES,
  present,
  startOperator,
  type OperatorProcess,
} from '../support/operator';

type Meta = {
  name: string;
  uid: string;
  generation?: number;
  resourceVersion: string;
  finalizers?: string[];
  ownerReferences?: { uid: string }[];
};
type Obj = { metadata: Meta; spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Condition = { type: string; status: string; reason: string };

const NS = 'buildings';
const MERGE = 'application/merge-patch+json';
/** Long enough to ride out the API server restart below without losing the Lease. */
const LEASE = { OPERATOR_LEASE_DURATION: '20s', OPERATOR_RENEW_DEADLINE: '15s' };

/**
 * The operator as the chart runs it (compiled, its own user with only k8s/operator/rbac.yaml's rights,
 * leader election on) against a real kube-apiserver and etcd on loopback and the real Kafka for lag.
 */
describe('operator against a Kubernetes API server', () => {
  let cluster: KubeCluster;
  let operator: OperatorProcess | undefined;
  let standby: OperatorProcess | undefined;
  const ports = [19466 + Math.floor(Math.random() * 500), 20466 + Math.floor(Math.random() * 500)] as const;
  const topic = uniqueName('it.operator');

  const get = async (path: string): Promise<Obj | undefined> => {
    const r = await cluster.call<Obj>('GET', path);
    return r.status === 200 ? r.body : undefined;
  };
  const deployment = (name: string) => `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
  const pipelinePath = (name: string) => `${PIPELINES}/namespaces/${NS}/telemetrypipelines/${name}`;
  const conditions = async (name: string): Promise<Record<string, string>> => {
    const p = await get(pipelinePath(name));
    const list = (p?.status?.['conditions'] ?? []) as Condition[];
    return Object.fromEntries(list.map((c) => [c.type, `${c.status}:${c.reason}`]));
  };
  /** What the missing Deployment controller would write once the pods are up. */
  const markReady = async (name: string): Promise<void> => {
    const d = await get(deployment(name));
    if (!d) throw new Error(`no deployment ${name}`);
    const replicas = (d.spec?.['replicas'] as number | undefined) ?? 1;
    const status = {
      observedGeneration: d.metadata.generation,
      replicas,
      readyReplicas: replicas,
      updatedReplicas: replicas,
      availableReplicas: replicas,
    };
    const r = await cluster.call('PATCH', `${deployment(name)}/status`, { status }, MERGE);
    expect(r.status).toBe(200);
  };
  const events = async (): Promise<string[]> => {
    const r = await cluster.call<{ items: { reason: string; involvedObject: { name: string } }[] }>(
      'GET',
      `/api/v1/namespaces/${NS}/events`,
    );
    return r.body.items.map((e) => `${e.involvedObject.name}:${e.reason}`);
  };
  const failWithLogs = (err: unknown): never => {
    throw new Error(`${String(err)}\n--- operator logs ---\n${operator?.logs().slice(-6000) ?? ''}`);
  };

  beforeAll(async () => {
    cluster = await startKubeCluster();
    await installOperatorAccess(cluster);
    await cluster.call('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'kafka' },
      stringData: { brokers: BROKERS.join(',') },
    });
    await cluster.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'postgres' },
      stringData: { url: 'postgres://unused/db' },
    });
    operator = await startOperator(cluster, ports[0], { POD_NAME: 'operator-a', ...LEASE });
  }, 45 * 60_000); // the first run builds kube-apiserver and etcd

  afterAll(async () => {
    await standby?.stop();
    await operator?.stop();
    await cluster?.stop();
  });

  const spec = {
    kafka: { brokersFrom: { name: 'kafka', key: 'brokers' } },
    database: { urlFrom: { name: 'postgres', key: 'url' } },
    topic: { name: topic, partitions: 3 },
    alertRules: [{ kind: 'silence', id: 'quiet', silentMs: 60000, severity: 'warning' }],
    notifications: {
      config: {
        poll_interval: '1s',
        channels: [{ name: 'hook', type: 'webhook', url: 'http://hooks:8080/x', secret_env: 'HOOK_SECRET' }],
      },
      secretEnv: { HOOK_SECRET: { name: 'postgres', key: 'url' } },
    },
  };

  it('creates the objects of a new TelemetryPipeline, owned by it, and adds its finalizer', async () => {
    const r = await cluster.call('POST', `${PIPELINES}/namespaces/${NS}/telemetrypipelines`, {
      apiVersion: 'telemetrypulse.io/v1alpha1',
      kind: 'TelemetryPipeline',
      metadata: { name: 'lobby' },
      spec,
    });
    expect(r.status).toBe(201);
    const uid = (r.body as Obj).metadata.uid;
    const paths = [
      deployment('lobby-processor'),
      deployment('lobby-api'),
      `/api/v1/namespaces/${NS}/services/lobby-api`,
      `/api/v1/namespaces/${NS}/services/lobby-processor`,
      `/api/v1/namespaces/${NS}/configmaps/lobby-alert-rules`,
      `/api/v1/namespaces/${NS}/serviceaccounts/lobby-workload`,
      `/api/v1/namespaces/${NS}/configmaps/lobby-notifications`,
    ];
    const objects = await waitFor(
      'every object',
      async () => {
        const found = await Promise.all(paths.map(get));
        return found.every(Boolean) ? (found as Obj[]) : undefined;
      },
      30_000,
    ).catch(failWithLogs);
    for (const o of objects) expect(o.metadata.ownerReferences?.[0]?.uid).toBe(uid);
    expect((await get(pipelinePath('lobby')))?.metadata.finalizers).toEqual(['telemetrypulse.io/cleanup']);
    const template = present(objects[0]).spec?.['template'] as Obj | undefined;
    const containers = template?.spec?.['containers'] as { env: { name: string }[] }[] | undefined;
    const container = present(containers?.[0], 'a container');
    expect(container.env.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'KAFKA_BROKERS',
        'DATABASE_URL',
        'ALERT_RULES_FILE',
        'NOTIFICATIONS_CONFIG',
        'HOOK_SECRET',
      ]),
    );
    // The API server kept the whole notifications file (the CRD preserves its fields), not a pruned copy.
    const notifications = (present(objects[6]) as Obj & { data?: Record<string, string> }).data;
    expect(JSON.parse(notifications?.['notifications.yaml'] ?? 'null')).toEqual(spec.notifications.config);
  });

  it('reports Progressing until the Deployments are available, then Ready, with an event', async () => {
    expect(
      await waitFor(
        'Progressing',
        async () => ((await conditions('lobby'))['Progressing']?.startsWith('True') ? true : undefined),
        20_000,
      ),
    ).toBe(true);
    expect((await conditions('lobby'))['Ready']).toBe('False:ComponentsNotReady');
    await markReady('lobby-processor');
    await markReady('lobby-api');
    const ready = await waitFor(
      'Ready',
      async () => {
        const c = await conditions('lobby');
        return c['Ready'] === 'True:AllComponentsReady' ? c : undefined;
      },
      20_000,
    ).catch(failWithLogs);
    expect(ready).toEqual({
      Ready: 'True:AllComponentsReady',
      Reconciling: 'False:ReconcileComplete',
      Stalled: 'False:AsExpected',
      Progressing: 'False:RolloutComplete',
      Degraded: 'False:AsExpected',
    });
    const status = present((await get(pipelinePath('lobby')))?.status, 'status');
    expect(status).toMatchObject({
      observedGeneration: 1,
      totalLag: 0,
      processor: { replicas: 1, readyReplicas: 1, desiredReplicas: 1 },
    });
    expect(
      await waitFor(
        'the Ready event',
        async () => ((await events()).includes('lobby:Ready') ? true : undefined),
        10_000,
      ),
    ).toBe(true);
  });

  it('updates the objects when the pipeline is edited', async () => {
    const r = await cluster.call(
      'PATCH',
      pipelinePath('lobby'),
      { spec: { api: { replicas: 2 }, simulator: { enabled: true, rate: 5 } } },
      MERGE,
    );
    expect(r.status).toBe(200);
    await waitFor(
      'api replicas 2 and a simulator',
      async () => {
        const api = await get(deployment('lobby-api'));
        const sim = await get(deployment('lobby-simulator'));
        return api?.spec?.['replicas'] === 2 && sim ? true : undefined;
      },
      20_000,
    ).catch(failWithLogs);
    await waitFor(
      'observedGeneration 2',
      async () =>
        (await get(pipelinePath('lobby')))?.status?.['observedGeneration'] === 2 ? true : undefined,
      20_000,
    );
  });

  it('recreates a Deployment deleted by hand and puts back an image edited by hand', async () => {
    const before = present(await get(deployment('lobby-processor'))).metadata.uid;
    expect((await cluster.call('DELETE', deployment('lobby-processor'))).status).toBe(200);
    const patch = { spec: { template: { spec: { containers: [{ name: 'api', image: 'evil/api:1' }] } } } };
    expect(
      (await cluster.call('PATCH', deployment('lobby-api'), patch, 'application/strategic-merge-patch+json'))
        .status,
    ).toBe(200);
    await waitFor(
      'the processor Deployment back',
      async () => {
        const d = await get(deployment('lobby-processor'));
        return d && d.metadata.uid !== before ? true : undefined;
      },
      20_000,
    ).catch(failWithLogs);
    await waitFor(
      'the api image restored',
      async () => {
        const d = await get(deployment('lobby-api'));
        const template = d?.spec?.['template'] as Obj | undefined;
        const image = (template?.spec?.['containers'] as { image: string }[] | undefined)?.[0]?.image;
        return image === 'ghcr.io/telemetry-pulse/api:0.1.0' ? true : undefined;
      },
      20_000,
    ).catch(failWithLogs);
    expect(
      await waitFor(
        'a DriftRepaired event',
        async () => ((await events()).includes('lobby:DriftRepaired') ? true : undefined),
        10_000,
      ),
    ).toBe(true);
  });

  describe('a pipeline whose quantities the API server rewrites, and whose pods a test writes', () => {
    const plantSpec = {
      ...spec,
      processor: {
        // The CRD takes a quantity as an integer or a string (as controller-gen's do): `cpu: 0.5` in YAML is
        // refused, `cpu: "0.5"` is the spelling that reaches the Deployment and comes back as 500m.
        resources: {
          requests: { cpu: '0.5', memory: '0.5Gi' },
          limits: { cpu: '1000m', memory: 1073741824 },
        },
      },
    };
    const podPath = (name: string) => `/api/v1/namespaces/${NS}/pods/${name}`;
    const POD = 'plant-processor-6d5f8b7c9-x2x7q';
    /** The operator's API writes for the plant pipeline, from its `acting` log lines. */
    const applies = (): number =>
      (operator?.logs() ?? '')
        .split('\n')
        .filter((l) => l.includes('"msg":"acting"') && l.includes('"pipeline":"buildings/plant"'))
        .filter((l) => l.includes('"action":"apply"')).length;
    const count = async (event: string): Promise<number> =>
      (await events()).filter((e) => e === `plant:${event}`).length;
    const successes = async (): Promise<number> =>
      Number(
        /^telemetry_operator_reconcile_total\{result="success"\} (\d+)/m.exec(
          (await present(operator).get('/metrics')).text,
        )?.[1] ?? 0,
      );
    /** Several reconcile passes (the operator requeues every pipeline each OPERATOR_LAG_INTERVAL, 1 s). */
    const severalPasses = async (): Promise<void> => {
      const before = await successes();
      await new Promise((r) => setTimeout(r, 5000));
      expect((await successes()) - before).toBeGreaterThanOrEqual(4);
    };
    const plantConditions = async (): Promise<Record<string, string>> => conditions('plant');
    const containerOf = async (name: string) => {
      const template = (await get(deployment(name)))?.spec?.['template'] as Obj | undefined;
      return present(
        (template?.spec?.['containers'] as Record<string, unknown>[] | undefined)?.[0],
        `a container in ${name}`,
      );
    };

    it('is Ready at generation 1 and applies nothing more, though the API server rewrote its quantities', async () => {
      const r = await cluster.call('POST', `${PIPELINES}/namespaces/${NS}/telemetrypipelines`, {
        apiVersion: 'telemetrypulse.io/v1alpha1',
        kind: 'TelemetryPipeline',
        metadata: { name: 'plant' },
        spec: plantSpec,
      });
      expect(r.status).toBe(201);
      await waitFor(
        'the plant Deployments',
        async () =>
          (await get(deployment('plant-processor'))) && (await get(deployment('plant-api')))
            ? true
            : undefined,
        30_000,
      ).catch(failWithLogs);
      // What made the operator re-apply every pass before: the stored form differs from the applied text.
      expect((await containerOf('plant-processor'))['resources']).toEqual({
        requests: { cpu: '500m', memory: '512Mi' },
        limits: { cpu: '1', memory: '1073741824' },
      });
      await markReady('plant-processor');
      await markReady('plant-api');
      await waitFor(
        'plant Ready',
        async () => ((await plantConditions())['Ready'] === 'True:AllComponentsReady' ? true : undefined),
        20_000,
      ).catch(failWithLogs);
      const status = present((await get(pipelinePath('plant')))?.status, 'status');
      expect(status['observedGeneration']).toBe(1);
      expect(await plantConditions()).toMatchObject({
        Reconciling: 'False:ReconcileComplete',
        Stalled: 'False:AsExpected',
      });
      const settled = applies();
      expect(settled).toBeGreaterThanOrEqual(4); // service account, 2 Deployments, 2 Services, ConfigMap
      await severalPasses();
      expect(applies()).toBe(settled);
      expect(await count('DriftRepaired')).toBe(0);
    });

    it('repairs an env value edited by hand exactly once, with one DriftRepaired event', async () => {
      const settled = applies();
      const patch = {
        spec: {
          template: {
            spec: { containers: [{ name: 'api', env: [{ name: 'PROCESSOR_GROUP_ID', value: 'hijacked' }] }] },
          },
        },
      };
      const r = await cluster.call(
        'PATCH',
        deployment('plant-api'),
        patch,
        'application/strategic-merge-patch+json',
      );
      expect(r.status).toBe(200);
      const groupId = async () =>
        ((await containerOf('plant-api'))['env'] as { name: string; value?: string }[]).find(
          (e) => e.name === 'PROCESSOR_GROUP_ID',
        )?.value;
      await waitFor(
        'the env value restored',
        async () => ((await groupId()) === 'telemetry-processor' ? true : undefined),
        20_000,
      ).catch(failWithLogs);
      await severalPasses();
      expect(applies()).toBe(settled + 1);
      expect(await count('DriftRepaired')).toBe(1);
    });

    it('leaves alone an env var someone else added (server-side apply keeps it), instead of re-applying every pass', async () => {
      const settled = applies();
      const drifts = await count('DriftRepaired');
      const patch = {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'api', env: [{ name: 'NODE_OPTIONS', value: '--trace-warnings' }] }],
            },
          },
        },
      };
      const r = await cluster.call(
        'PATCH',
        deployment('plant-api'),
        patch,
        'application/strategic-merge-patch+json',
      );
      expect(r.status).toBe(200);
      await severalPasses();
      expect(applies()).toBe(settled);
      expect(await count('DriftRepaired')).toBe(drifts);
      const env = (await containerOf('plant-api'))['env'] as { name: string }[];
      expect(env.map((e) => e.name)).toContain('NODE_OPTIONS');
    });

    it('is Stalled while a processor crash-loops, with its last log line, one Warning event, and recovers', async () => {
      await markReady('plant-api'); // the repair above rolled its template
      await waitFor(
        'plant Ready again',
        async () => ((await plantConditions())['Ready'] === 'True:AllComponentsReady' ? true : undefined),
        20_000,
      ).catch(failWithLogs);
      const labels = {
        'app.kubernetes.io/name': 'telemetry-pulse',
        'app.kubernetes.io/instance': 'plant',
        'app.kubernetes.io/managed-by': 'telemetry-pulse-operator',
        'app.kubernetes.io/component': 'processor',
        'telemetrypulse.io/pipeline': 'plant',
      };
      const created = await cluster.call('POST', `/api/v1/namespaces/${NS}/pods`, {
        metadata: { name: POD, labels },
        spec: {
          containers: [{ name: 'processor', image: 'ghcr.io/telemetry-pulse/processor:0.1.0' }],
        },
      });
      expect(created.status).toBe(201);
      // What the kubelet would write for a processor whose DATABASE_URL carries a wrong password, with
      // terminationMessagePolicy FallbackToLogsOnError: the tail of its log as the termination message.
      const logTail = [
        '{"level":"info","time":1764756000000,"service":"processor","msg":"connecting to PostgreSQL"}',
        'fatal: error: password authentication failed for user "telemetry"',
        '    at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:285:98)',
        '    at Parser.handlePacket (/app/node_modules/pg-protocol/dist/parser.js:122:29)',
      ].join('\n');
      const containerStatus = (restartCount: number, crashing: boolean) => ({
        name: 'processor',
        image: 'ghcr.io/telemetry-pulse/processor:0.1.0',
        imageID: '',
        ready: !crashing,
        restartCount,
        state: crashing
          ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } }
          : { running: { startedAt: new Date().toISOString() } },
        lastState: {
          terminated: {
            exitCode: 1,
            reason: 'Error',
            message: logTail,
            startedAt: new Date(Date.now() - 2000).toISOString(),
            finishedAt: new Date(Date.now() - 1000).toISOString(),
          },
        },
      });
      const writePodStatus = async (restartCount: number, crashing: boolean) => {
        const status = { phase: 'Running', containerStatuses: [containerStatus(restartCount, crashing)] };
        const w = await cluster.call('PATCH', `${podPath(POD)}/status`, { status }, MERGE);
        expect(w.status).toBe(200);
      };
      await writePodStatus(3, true);
      const stalled = await waitFor(
        'plant Stalled',
        async () => {
          const c = await plantConditions();
          return c['Stalled'] === 'True:ProcessorCrashLooping' ? c : undefined;
        },
        20_000,
      ).catch(failWithLogs);
      expect(stalled).toEqual({
        Ready: 'False:ProcessorCrashLooping',
        Reconciling: 'False:Stalled',
        Stalled: 'True:ProcessorCrashLooping',
        Progressing: 'False:ProcessorCrashLooping',
        Degraded: 'True:ProcessorCrashLooping',
      });
      const ready = (
        (present((await get(pipelinePath('plant')))?.status, 'status')['conditions'] ?? []) as {
          type: string;
          message: string;
        }[]
      ).find((c) => c.type === 'Ready');
      expect(ready?.message).toBe(
        `processor pod ${POD}: container processor restarted 3 times, last exit code 1 (Error): ` +
          'fatal: error: password authentication failed for user "telemetry"',
      );
      await waitFor(
        'the ProcessorCrashLooping event',
        async () => ((await count('ProcessorCrashLooping')) === 1 ? true : undefined),
        10_000,
      );
      // It keeps crashing: the message follows, the event is not repeated.
      await writePodStatus(4, true);
      await waitFor(
        'the restart count in the message',
        async () => {
          const p = await get(pipelinePath('plant'));
          const list = (p?.status?.['conditions'] ?? []) as { type: string; message: string }[];
          return list.find((c) => c.type === 'Stalled')?.message.includes('restarted 4 times')
            ? true
            : undefined;
        },
        20_000,
      ).catch(failWithLogs);
      await severalPasses();
      expect(await count('ProcessorCrashLooping')).toBe(1);

      // The secret fixed: the next start connects and stays up.
      await writePodStatus(4, false);
      await waitFor(
        'plant Ready after the fix',
        async () => ((await plantConditions())['Ready'] === 'True:AllComponentsReady' ? true : undefined),
        20_000,
      ).catch(failWithLogs);
      expect(await count('Recovered')).toBe(1);
      expect((await cluster.call('DELETE', podPath(POD))).status).toBe(200);
    });
  });

  it('keeps working after the API server restarts under its watches', async () => {
    await cluster.restartApiServer();
    const before = present(await get(deployment('lobby-api'))).metadata.uid;
    expect((await cluster.call('DELETE', deployment('lobby-api'))).status).toBe(200);
    await waitFor(
      'the api Deployment back',
      async () => {
        const d = await get(deployment('lobby-api'));
        return d && d.metadata.uid !== before ? true : undefined;
      },
      60_000,
    ).catch(failWithLogs);
  });

  it('removes everything when the pipeline is deleted, then lets it go', async () => {
    expect((await cluster.call('DELETE', pipelinePath('lobby'))).status).toBe(200);
    await waitFor(
      'the pipeline and its objects gone',
      async () => {
        const left = await Promise.all(
          [
            pipelinePath('lobby'),
            deployment('lobby-processor'),
            deployment('lobby-api'),
            deployment('lobby-simulator'),
            `/api/v1/namespaces/${NS}/services/lobby-api`,
            `/api/v1/namespaces/${NS}/configmaps/lobby-alert-rules`,
            `/api/v1/namespaces/${NS}/configmaps/lobby-notifications`,
            `/api/v1/namespaces/${NS}/serviceaccounts/lobby-workload`,
          ].map(get),
        );
        return left.every((o) => o === undefined) ? true : undefined;
      },
      30_000,
    ).catch(failWithLogs);
  });

  it('has one replica act at a time: a standby takes over when the leader stops', async () => {
    standby = await startOperator(cluster, ports[1], { POD_NAME: 'operator-b', ...LEASE });
    const leaderMetric = async (op: OperatorProcess) =>
      /^telemetry_operator_leader 1$/m.test((await op.get('/metrics')).text);
    expect(await leaderMetric(present(operator))).toBe(true);
    await new Promise((r) => setTimeout(r, 2000)); // several standby retries
    expect(await leaderMetric(standby)).toBe(false);
    expect((await standby.get('/readyz')).text).toContain('standing by');
    const lease = await get(
      `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/telemetry-pulse-operator`,
    );
    expect(lease?.spec?.['holderIdentity']).toBe('operator-a');

    expect(await present(operator).stop()).toBe(0); // releases the Lease on the way out
    await waitFor(
      'the standby to lead',
      async () => ((await leaderMetric(present(standby))) ? true : undefined),
      10_000,
    );
    await cluster.call('POST', `${PIPELINES}/namespaces/${NS}/telemetrypipelines`, {
      apiVersion: 'telemetrypulse.io/v1alpha1',
      kind: 'TelemetryPipeline',
      metadata: { name: 'annex' },
      spec,
    });
    await waitFor(
      'the new leader to create the annex',
      async () => ((await get(deployment('annex-api'))) ? true : undefined),
      20_000,
    ).catch((err: unknown) =>
      failWithLogs(`${String(err)}\n--- standby ---\n${standby?.logs().slice(-4000)}`),
    );
  });
});

describe('operator CLI', () => {
  const MAIN = `${__dirname}/../../services/operator/dist/main.js`;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [MAIN, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', ...env },
    });

  it('prints every option with its variable and default on --help, and exits 0', () => {
    const run = cli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: telemetry-operator/);
    for (const text of [
      '$OPERATOR_WATCH_NAMESPACE',
      '$OPERATOR_LEADER_ELECTION',
      '$POD_NAME',
      '(default: 9466)',
    ]) {
      expect(run.stdout).toContain(text);
    }
  });

  it('exits 2 with a clear message when there is no cluster to talk to or the Lease timings are unsafe', () => {
    const outside = cli([]);
    expect(outside.status).toBe(2);
    expect(outside.stderr).toContain('not in a pod (KUBERNETES_SERVICE_HOST unset) and KUBECONFIG unset');
    const unsafe = cli([], { OPERATOR_LEASE_DURATION: '5s', OPERATOR_RENEW_DEADLINE: '10s' });
    expect(unsafe.status).toBe(2);
    expect(unsafe.stderr).toContain('OPERATOR_RENEW_DEADLINE must be shorter than OPERATOR_LEASE_DURATION');
  });
});

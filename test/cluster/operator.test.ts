import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  HOST_IP,
  NODE_IP,
  ctr,
  dumpNamespace,
  eventually,
  helm,
  isReady,
  kubectl,
  kubectlJson,
  pods,
  figureLog,
  seconds,
  stepsMarking,
  type Pod,
} from '../support/cluster';
import {
  createRestrictedNamespace,
  drainedLag,
  expectLedgerBalanced,
  settledAssignment,
  startHostServices,
  tagForChart,
  topicAccount,
  type HostServices,
} from '../support/cluster-services';
import { tableCounts } from '../support/invariants';
import { toolPath } from '../support/kube';
import { REPO_ROOT } from '../support/reliability/process';
import { Fleet, startLoad } from '../support/reliability/load';

/**
 * The operator on a real single-node cluster (scripts/cluster.sh; run by `npm run test:cluster`): the chart
 * in operator mode (two replicas, one leading), k8s/operator/example-pipeline.yaml applied with this cluster's
 * images and the host's Kafka and PostgreSQL, and what the real controllers, kubelet and consumer group then
 * do: pods, readings, status conditions, rollouts, drift, lag-based scaling, leader failover, deletion. Steps
 * depend on the ones before them. Figures are printed and collected in docs/kubernetes.md.
 */

const CHART = path.join(REPO_ROOT, 'charts', 'telemetry-pulse');
const RELEASE = 'tp';
const STAMP = Date.now().toString(36);
const NAMESPACE = `tp-operator-${STAMP}`;
const PIPELINE_NS = `tp-buildings-${STAMP}`;
const PIPELINE = 'campus-north';
const TOPIC = 'telemetry.events';
const DLQ_TOPIC = `${TOPIC}.dlq`;
const GROUP = 'telemetry-processor';
const PARTITIONS = 6;
const MAX_REPLICAS = 4;
const STABILIZATION_S = 30;
const LEASE_DURATION_S = 10;
const DB_PASSWORD = 'operator-test-password';
const VERSION = '0.1.0';
const RUN_DIR = path.join(REPO_ROOT, '.local', 'cluster', `test-run-operator-${process.pid}`);
const ARTIFACTS = path.join(REPO_ROOT, '.local', 'cluster', 'logs', 'test');
const OPERATOR = `${RELEASE}-telemetry-pulse-operator`;
const OPERATOR_PODS = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`;
const PROCESSOR = `${PIPELINE}-processor`;

let host: HostServices;
let helmPath: string;
let failed = false;
const { figures, figure } = figureLog();
const fleet = new Fleet({
  seed: 18,
  tag: '0be7a018',
  devices: 1000,
  startMs: Date.now() - 3_600_000,
  malformedRate: 0.005,
});

const k = (args: readonly string[], opts: { input?: string; allowFailure?: boolean } = {}) =>
  kubectl(['-n', NAMESPACE, ...args], opts);
const kp = (args: readonly string[], opts: { input?: string; allowFailure?: boolean } = {}) =>
  kubectl(['-n', PIPELINE_NS, ...args], opts);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}
interface PipelineObject {
  metadata: { generation: number; finalizers?: string[] };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    processor?: { replicas: number; readyReplicas: number; desiredReplicas: number };
    totalLag?: number;
  };
}

const pipeline = () => kubectlJson<PipelineObject>(['-n', PIPELINE_NS, 'get', 'telemetrypipeline', PIPELINE]);
const condition = (p: PipelineObject, type: string) => p.status?.conditions?.find((c) => c.type === type);

/** Merge-patches the pipeline's spec; resolves with the new generation. */
async function patchSpec(spec: Record<string, unknown>): Promise<number> {
  await kp(['patch', 'telemetrypipeline', PIPELINE, '--type=merge', '-p', JSON.stringify({ spec })]);
  return (await pipeline()).metadata.generation;
}

/** kubectl wait for Ready at the current generation; resolves with how long it took. */
async function waitReady(timeout = '5m'): Promise<number> {
  const started = Date.now();
  await kp(['wait', `telemetrypipeline/${PIPELINE}`, '--for=condition=Ready', `--timeout=${timeout}`]);
  const p = await pipeline();
  expect(p.status?.observedGeneration).toBe(p.metadata.generation);
  return Date.now() - started;
}

/** The Events the operator recorded on the pipeline. */
async function pipelineEvents(): Promise<{ type: string; reason: string }[]> {
  const { stdout } = await kp([
    'get',
    'events',
    '--field-selector',
    `involvedObject.name=${PIPELINE}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(stdout) as { items: { type: string; reason: string }[] }).items;
}

const processorReplicas = async () =>
  (await kubectlJson<{ spec: { replicas: number } }>(['-n', PIPELINE_NS, 'get', 'deployment', PROCESSOR]))
    .spec.replicas;

const livePods = async (ns: string, selector: string): Promise<Pod[]> =>
  (await pods(ns, selector)).filter((p) => !p.metadata.deletionTimestamp);

/** The operator's own /metrics, read inside its pod (no NetworkPolicy applies to loopback). */
async function operatorMetrics(pod: string): Promise<string> {
  const { stdout } = await k([
    'exec',
    pod,
    '--',
    'node',
    '-e',
    "fetch('http://127.0.0.1:'+(process.env.OPERATOR_PORT||9466)+'/metrics',{signal:AbortSignal.timeout(3000)}).then(r=>r.text()).then(t=>process.stdout.write(t))",
  ]);
  return stdout;
}
const metricValue = (text: string, name: string, labels = ''): number =>
  [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))]
    .filter((m) => (m[1] ?? '').includes(labels))
    .reduce((s, m) => s + Number(m[2]), 0);

async function lease(): Promise<{ holder: string; transitions: number }> {
  const l = await kubectlJson<{ spec: { holderIdentity?: string; leaseTransitions?: number } }>([
    '-n',
    NAMESPACE,
    'get',
    'lease',
    OPERATOR,
  ]);
  return { holder: l.spec.holderIdentity ?? '', transitions: l.spec.leaseTransitions ?? 0 };
}

/** The example pipeline, as a user adapts it: this cluster's images, a smaller footprint, test timings. */
function examplePipeline(): Record<string, unknown> {
  const doc = parseYaml(
    readFileSync(path.join(REPO_ROOT, 'k8s', 'operator', 'example-pipeline.yaml'), 'utf8'),
  ) as {
    metadata: Record<string, unknown>;
    spec: Record<string, Record<string, unknown>>;
  };
  const spec = doc.spec;
  return {
    ...doc,
    metadata: { ...doc.metadata, name: PIPELINE, namespace: PIPELINE_NS },
    spec: {
      ...spec,
      image: { registry: 'localhost/telemetry-pulse', tag: VERSION },
      topic: { name: TOPIC, partitions: PARTITIONS },
      simulator: { enabled: true, rate: 20 },
      processor: {
        ...spec.processor,
        minReplicas: 1,
        maxReplicas: MAX_REPLICAS,
        targetLagPerReplica: 5000,
        scaleDownStabilizationSeconds: STABILIZATION_S,
        // Quantities the API server rewrites (0.1 -> 100m, 0.2 -> 200m): no drift may follow from them.
        // The CPU limit makes one processor a fixed share of this 2-core machine, so more replicas drain faster.
        resources: { requests: { cpu: '0.1', memory: '128Mi' }, limits: { cpu: '0.2', memory: '512Mi' } },
      },
      api: { ...spec.api, replicas: 1, resources: { requests: { cpu: '50m', memory: '96Mi' } } },
    },
  };
}

beforeAll(async () => {
  helmPath = toolPath('helm');
  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  host = await startHostServices({
    runDir: RUN_DIR,
    topics: [TOPIC, DLQ_TOPIC],
    partitions: PARTITIONS,
    dbPassword: DB_PASSWORD,
  });
  for (const name of [NAMESPACE, PIPELINE_NS]) await createRestrictedNamespace(name);
  await kp([
    'create',
    'secret',
    'generic',
    'kafka-connection',
    `--from-literal=brokers=${host.kafka.directBrokers}`,
  ]);
  await kp(['create', 'secret', 'generic', 'postgres-connection', `--from-literal=url=${host.dbUrl}`]);
}, 600_000);

afterAll(async () => {
  if (failed) {
    for (const ns of [NAMESPACE, PIPELINE_NS])
      await dumpNamespace(ns, path.join(ARTIFACTS, `${ns}.log`)).catch(() => undefined);
  }
  console.log('operator figures:', figures);
  // Cluster-scoped objects (ClusterRole, bindings) go with the release, not with the namespace.
  await helm(helmPath, ['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '2m'], {
    allowFailure: true,
  });
  // While the operator still runs to remove its finalizer; one it cannot remove any more goes by hand, or the
  // namespace (and the CRD after it) would hang in Terminating.
  await kubectl(['delete', 'telemetrypipeline', '--all', '-n', PIPELINE_NS, '--timeout=90s'], {
    allowFailure: true,
  });
  await kubectl(
    [
      'patch',
      'telemetrypipeline',
      PIPELINE,
      '-n',
      PIPELINE_NS,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ],
    { allowFailure: true },
  );
  await kubectl(['delete', 'namespace', PIPELINE_NS, NAMESPACE, '--wait=false'], { allowFailure: true });
  await host?.stop();
}, 180_000);

const step = stepsMarking(() => {
  failed = true;
});

describe('the operator on a real single-node cluster', () => {
  step(
    'installs in operator mode: two operator replicas Ready, exactly one holding the Lease',
    async () => {
      const values = path.join(RUN_DIR, 'operator-values.yaml');
      const [, kafkaPort] = host.kafka.directBrokers.split(':');
      writeFileSync(
        values,
        [
          'components: { enabled: false }',
          `kafka: { brokers: '${host.kafka.directBrokers}' }`,
          'operator:',
          '  enabled: true',
          '  replicaCount: 2',
          `  env: { OPERATOR_LAG_INTERVAL: '3s', OPERATOR_LEASE_DURATION: '${LEASE_DURATION_S}s', OPERATOR_RENEW_DEADLINE: '7s', OPERATOR_RETRY_PERIOD: '1s' }`,
          'networkPolicy:',
          `  kafka: { ports: [${kafkaPort}], to: [{ ipBlock: { cidr: ${HOST_IP}/32 } }] }`,
          `  kubeApi: { ports: [6443], to: [{ ipBlock: { cidr: ${NODE_IP}/32 } }] }`,
          '',
        ].join('\n'),
      );
      const args = ['-n', NAMESPACE, '--values', values];
      const { stdout } = await helm(helmPath, ['template', RELEASE, CHART, ...args]);
      const images = [
        ...new Set([...stdout.matchAll(/^\s*image:\s*"?([^"\s]+)"?\s*$/gm)].map((m) => m[1] ?? '')),
      ];
      await tagForChart(images.filter(Boolean), VERSION);
      const started = Date.now();
      await helm(helmPath, ['install', RELEASE, CHART, ...args, '--wait', '--timeout', '5m']);
      figure('helm install (operator mode) to 2 operator pods Ready', seconds(Date.now() - started));
      const ops = await livePods(NAMESPACE, OPERATOR_PODS);
      expect(ops.map(isReady)).toEqual([true, true]);
      const { holder } = await eventually('no operator took the Lease', 60_000, async () => {
        const l = await lease().catch(() => undefined);
        return l?.holder ? l : undefined;
      });
      expect(ops.map((p) => p.metadata.name)).toContain(holder);
      const leaders = await Promise.all(
        ops.map(async (p) =>
          metricValue(await operatorMetrics(p.metadata.name), 'telemetry_operator_leader'),
        ),
      );
      expect(leaders.sort()).toEqual([0, 1]);
    },
    420_000,
  );

  step(
    'a TelemetryPipeline becomes Ready: the operator creates the workloads, real pods process readings',
    async () => {
      const applied = Date.now();
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(examplePipeline()) });
      // What `kubectl get -w` would show while the pods start: not Ready, reconciling, then Ready.
      const seen = new Set<string>();
      const poll = setInterval(() => {
        void pipeline()
          .then((p) => {
            const r = condition(p, 'Ready');
            const rec = condition(p, 'Reconciling');
            if (r) seen.add(`Ready=${r.status}${rec ? ` Reconciling=${rec.status}` : ''}`);
          })
          .catch(() => undefined);
      }, 500);
      try {
        await waitReady('6m');
      } finally {
        clearInterval(poll);
      }
      figure('pipeline applied to Ready (kubectl wait --for=condition=Ready)', seconds(Date.now() - applied));
      console.log('conditions seen on the way:', [...seen]);
      expect([...seen].some((s) => s.startsWith('Ready=False'))).toBe(true);
      const p = await pipeline();
      expect(condition(p, 'Reconciling')?.status ?? 'False').toBe('False');
      expect(condition(p, 'Stalled')?.status ?? 'False').toBe('False');
      const deployments = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
        '-n',
        PIPELINE_NS,
        'get',
        'deployments',
      ]);
      expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual(
        [`${PIPELINE}-api`, PROCESSOR, `${PIPELINE}-simulator`].sort(),
      );
      await eventually('no readings stored', 180_000, async () => {
        const { raw } = await tableCounts(host.db);
        return raw >= 100 ? raw : undefined;
      });
      // kubectl's columns come from the CRD's printer columns.
      const { stdout } = await kp(['get', 'telemetrypipeline', PIPELINE]);
      console.log(stdout);
      expect(stdout).toMatch(/True/);
    },
    480_000,
  );

  step(
    'editing the resource rolls the workloads; canonicalised quantities cause no re-apply; a hand edit is repaired once',
    async () => {
      const [leader] = [(await lease()).holder];
      const applies = async () =>
        metricValue(await operatorMetrics(leader), 'telemetry_operator_actions_total', 'action="apply"');
      const drifts = async () =>
        metricValue(await operatorMetrics(leader), 'telemetry_operator_actions_total', 'reason="drift"');

      // A spec edit: the simulator's Deployment gets a new pod template and its pods are replaced.
      const before = (await livePods(PIPELINE_NS, `app.kubernetes.io/component=simulator`)).map(
        (p) => p.metadata.name,
      );
      const generation = await patchSpec({ simulator: { enabled: true, rate: 30 } });
      await waitReady();
      await eventually('the simulator pod was not replaced', 180_000, async () => {
        const now = await livePods(PIPELINE_NS, `app.kubernetes.io/component=simulator`);
        return now.length === 1 && now.every(isReady) && !before.includes(now[0]?.metadata.name ?? '')
          ? true
          : undefined;
      });
      expect((await pipeline()).status?.observedGeneration).toBe(generation);

      // Quiet: several lag intervals (3 s) with nothing to change must write nothing, although the API
      // server holds 100m and 200m where the spec says 0.1 and 0.2.
      const quietFrom = await applies();
      await new Promise((r) => setTimeout(r, 15_000));
      const quiet = (await applies()) - quietFrom;
      figure('applies in 15 s of a settled pipeline (quantities 0.1/0.2 in the spec)', String(quiet));
      expect(quiet).toBe(0);

      // A hand edit of a value the operator sets: repaired, once.
      const SIMULATOR = `${PIPELINE}-simulator`;
      const simRate = async () => {
        const d = await kubectlJson<{
          spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
        }>(['-n', PIPELINE_NS, 'get', 'deployment', SIMULATOR]);
        return d.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'SIM_RATE')?.value;
      };
      const driftFrom = await drifts();
      await kp(['set', 'env', `deployment/${SIMULATOR}`, 'SIM_RATE=1']);
      const editedAt = Date.now();
      await eventually('the hand edit was not repaired', 120_000, async () =>
        (await simRate()) === '30' ? true : undefined,
      );
      figure('hand edit to repaired', seconds(Date.now() - editedAt));
      // A variable someone else adds (server-side apply keeps what another manager owns) is not the
      // operator's to remove, and must not make it re-apply every pass either.
      await kp(['set', 'env', `deployment/${PROCESSOR}`, 'ADDED_BY_HAND=1']);
      await new Promise((r) => setTimeout(r, 15_000));
      expect((await drifts()) - driftFrom).toBe(1);
      const reasons = (await pipelineEvents()).map((e) => e.reason);
      expect(reasons).toContain('DriftRepaired');
      await waitReady();
    },
    600_000,
  );

  step(
    'scales the processors with the lag: up to the cap, partitions spread, faster drain, back down; nothing lost or doubled',
    async () => {
      // A quiet topic: the simulator off, one processor at most for the baseline.
      await patchSpec({ simulator: { enabled: false }, processor: { maxReplicas: 1 } });
      await waitReady();
      await eventually('simulator pod still there', 120_000, async () =>
        (await livePods(PIPELINE_NS, 'app.kubernetes.io/component=simulator')).length === 0
          ? true
          : undefined,
      );
      await drainedLag(host, GROUP, TOPIC);

      // The same backlog for both runs, produced beforehand into topics nobody reads yet; then the pipeline is
      // pointed at one (topic and group in its spec): one processor at most, then up to four.
      const BACKLOG = 400_000;
      const single = { topic: 'telemetry.backlog-1', group: 'telemetry-backlog-1', max: 1 };
      const last = { topic: 'telemetry.backlog-2', group: 'telemetry-backlog-2', max: MAX_REPLICAS };
      const runs = [single, last];
      const admin = host.kafka.kafka().admin();
      await admin.connect();
      await admin.createTopics({
        topics: runs
          .flatMap((r) => [r.topic, `${r.topic}.dlq`])
          .map((topic) => ({ topic, numPartitions: PARTITIONS })),
      });
      await admin.disconnect();
      for (const r of runs) {
        const started = Date.now();
        await startLoad(host.producer, fleet, {
          topic: r.topic,
          total: BACKLOG,
          ratePerSec: 100_000,
          chunk: 500,
        }).done;
        console.log(
          `backlog of ${BACKLOG} readings in ${r.topic} produced in ${seconds(Date.now() - started)}`,
        );
      }

      const drain = async (r: (typeof runs)[number]) => {
        let scaledUpAt = 0;
        let most = 0;
        const watch = setInterval(() => {
          void processorReplicas()
            .then((n) => {
              if (n > 1 && scaledUpAt === 0) scaledUpAt = Date.now();
              most = Math.max(most, n);
            })
            .catch(() => undefined);
        }, 500);
        const started = Date.now();
        let assignment: Record<string, number[]> | undefined;
        try {
          await patchSpec({
            topic: { name: r.topic, partitions: PARTITIONS },
            processor: { groupId: r.group, maxReplicas: r.max },
          });
          if (r.max > 1) {
            assignment = await settledAssignment(host.kafka, r.group, r.topic, {
              members: r.max,
              partitions: PARTITIONS,
              when: `scaled up to ${r.max}`,
            });
          }
          await drainedLag(host, r.group, r.topic);
        } finally {
          clearInterval(watch);
        }
        return { ms: Date.now() - started, most, scaledUpMs: scaledUpAt && scaledUpAt - started, assignment };
      };
      const one = await drain(single);
      figure(
        `pipeline pointed at a backlog of ${BACKLOG} to lag 0, 1 processor (cpu limit 200m)`,
        seconds(one.ms),
      );
      const many = await drain(last);
      figure('pipeline pointed at the backlog to the first scale-up', seconds(many.scaledUpMs));
      figure(
        `pipeline pointed at a backlog of ${BACKLOG} to lag 0, up to ${many.most} processors`,
        `${seconds(many.ms)} (${(one.ms / many.ms).toFixed(2)}x faster)`,
      );
      expect(one.most).toBe(1);
      expect(many.most).toBe(MAX_REPLICAS); // capped by maxReplicas (partitions: 6)
      expect(Object.values(many.assignment ?? {}).every((parts) => parts.length >= 1)).toBe(true);
      // How much faster is a figure for docs/kubernetes.md, not an assertion: on 2 shared cores it depends on
      // what else runs (four processors, PostgreSQL and Kafka share them).

      const drainedAt = Date.now();
      await eventually('the operator did not scale back down', (STABILIZATION_S + 120) * 1000, async () =>
        (await processorReplicas()) === 1 ? true : undefined,
      );
      figure('lag zero to scaled back down to 1 (stabilisation 30 s)', seconds(Date.now() - drainedAt));
      await settledAssignment(host.kafka, last.group, last.topic, {
        members: 1,
        partitions: PARTITIONS,
        when: 'scaled down to 1',
      });
      const reasons = (await pipelineEvents()).map((e) => e.reason);
      expect(reasons).toEqual(expect.arrayContaining(['ScaledUp', 'ScaledDown']));

      const lags = [
        await drainedLag(host, GROUP, TOPIC),
        ...(await Promise.all(runs.map((r) => drainedLag(host, r.group, r.topic)))),
      ];
      const accounts = [];
      for (const topic of [TOPIC, ...runs.map((r) => r.topic)])
        accounts.push(await topicAccount(host.kafka, topic));
      const account = {
        distinctValid: accounts.reduce((n, a) => n + a.distinctValid, 0),
        invalid: accounts.reduce((n, a) => n + a.invalid, 0),
      };
      const { ledger, counts } = await expectLedgerBalanced(
        host,
        { tag: fleet.opts.tag, valid: fleet.valid, malformed: fleet.malformed },
        account,
      );
      console.log('after scaling up and down:', { lags, ledger, accounts, counts });
    },
    1_500_000,
  );

  step(
    'leader failover: the standby takes the Lease when the leader pod goes, or when the leader hangs; never two leaders',
    async () => {
      // Who leads, sampled from every operator pod's metrics the whole time: never two at once.
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const ops = await livePods(NAMESPACE, OPERATOR_PODS).catch(() => []);
          const values = await Promise.all(
            ops.map((p) =>
              operatorMetrics(p.metadata.name)
                .then((t) => metricValue(t, 'telemetry_operator_leader'))
                .catch(() => 0),
            ),
          );
          most = Math.max(
            most,
            values.reduce((s, v) => s + v, 0),
          );
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      try {
        // 1. The leader's pod is deleted (drain, rollout, eviction): it releases the Lease on SIGTERM.
        const first = await lease();
        const deletedAt = Date.now();
        await k(['delete', 'pod', first.holder, '--wait=false']);
        const second = await eventually('no other replica took the Lease', 60_000, async () => {
          const l = await lease().catch(() => undefined);
          return l?.holder && l.holder !== first.holder ? l : undefined;
        });
        figure('leader pod deleted to Lease taken by the standby', seconds(Date.now() - deletedAt));
        const gen1 = await patchSpec({ api: { replicas: 2 } });
        await waitReady();
        expect((await pipeline()).status?.observedGeneration).toBe(gen1);

        // 2. The leader hangs (its process stopped, SIGSTOP): the standby waits out the Lease, then leads; the
        //    old leader, continued, finds its last renewal too old, writes nothing, and steps down.
        await eventually('the replacement operator pod is not Ready', 180_000, async () => {
          const ops = await livePods(NAMESPACE, OPERATOR_PODS);
          return ops.length === 2 && ops.every(isReady) ? true : undefined;
        });
        const leaderPod = (await livePods(NAMESPACE, OPERATOR_PODS)).find(
          (p) => p.metadata.name === second.holder,
        );
        const container = leaderPod?.status.containerStatuses?.[0] as { containerID?: string } | undefined;
        const id = container?.containerID?.replace(/^containerd:\/\//, '');
        const task = (await ctr(['task', 'ls'])).stdout.split('\n').find((l) => id && l.startsWith(id));
        const pid = Number(task?.split(/\s+/)[1]);
        if (!id || !(pid > 0)) throw new Error(`no process for ${second.holder}: ${task ?? 'no task'}`);
        const stoppedAt = Date.now();
        process.kill(pid, 'SIGSTOP');
        let third: { holder: string };
        try {
          third = await eventually('the standby did not take the expired Lease', 60_000, async () => {
            const l = await lease().catch(() => undefined);
            return l?.holder && l.holder !== second.holder ? l : undefined;
          });
          figure(
            `leader stopped (SIGSTOP) to Lease taken (lease duration ${LEASE_DURATION_S} s)`,
            seconds(Date.now() - stoppedAt),
          );
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        const continuedAt = new Date().toISOString();
        const gen2 = await patchSpec({ api: { replicas: 1 } });
        await waitReady();
        expect((await pipeline()).status?.observedGeneration).toBe(gen2);
        expect((await lease()).holder).toBe(third.holder);
        // The continued process's own log: it stepped down and acted on nothing after it was continued.
        const log = await eventually('the stopped leader did not step down', 60_000, async () => {
          const r = await k(['logs', second.holder, '--previous'], { allowFailure: true });
          const now = await k(['logs', second.holder], { allowFailure: true });
          const text = `${r.stdout}\n${now.stdout}`;
          return text.includes('"stopped leading"') ? text : undefined;
        });
        const actedAfter = log
          .split('\n')
          .filter((l) => l.includes('"msg":"acting"'))
          .map((l) => (JSON.parse(l) as { time: string }).time)
          .filter((t) => t >= continuedAt);
        expect(actedAfter).toEqual([]);
      } finally {
        sampling = false;
        await sampler;
      }
      figure('most operator replicas reporting telemetry_operator_leader 1 at once', String(most));
      expect(most).toBe(1);
    },
    600_000,
  );

  step(
    'a processor that crash-loops (wrong database password) makes the pipeline Stalled with the reason, then it recovers',
    async () => {
      const wrong = host.dbUrl.replace(`:${DB_PASSWORD}@`, ':not-the-password@');
      const setUrl = (url: string) =>
        kp([
          'create',
          'secret',
          'generic',
          'postgres-connection',
          `--from-literal=url=${url}`,
          '--dry-run=client',
          '-o',
          'yaml',
        ]).then(({ stdout }) => kp(['apply', '-f', '-'], { input: stdout }));
      await setUrl(wrong);
      // Environment from a Secret is read when a container starts: a new pod gets the wrong password.
      const started = Date.now();
      await kp(['delete', 'pods', '-l', 'app.kubernetes.io/component=processor', '--wait=false']);
      const stalled = await eventually('the pipeline did not become Stalled', 300_000, async () => {
        const p = await pipeline();
        const c = condition(p, 'Stalled');
        return c?.status === 'True' ? { stalled: c, ready: condition(p, 'Ready') } : undefined;
      });
      figure('processor pods deleted with a wrong password to Stalled', seconds(Date.now() - started));
      console.log('stalled:', stalled);
      expect(stalled.stalled.reason).toBe('ProcessorCrashLooping');
      expect(stalled.ready?.status).toBe('False');
      expect(stalled.stalled.message).toMatch(/password authentication failed/);
      const warnings = (await pipelineEvents()).filter(
        (e) => e.type === 'Warning' && e.reason === 'ProcessorCrashLooping',
      );
      expect(warnings).toHaveLength(1);
      const { stdout: columns } = await kp(['get', 'telemetrypipeline', PIPELINE]);
      console.log(columns);
      expect(columns).toContain('ProcessorCrashLooping');

      // The Secret put right: the next restart reads it, the processor runs, the pipeline is Ready again.
      const fixed = Date.now();
      await setUrl(host.dbUrl);
      await waitReady('6m');
      figure('secret fixed to Ready again (the kubelet restarts with back-off)', seconds(Date.now() - fixed));
    },
    600_000,
  );

  step(
    'deleting the pipeline removes everything it made',
    async () => {
      const started = Date.now();
      await kp(['delete', 'telemetrypipeline', PIPELINE, '--timeout=3m']);
      const left = await eventually('objects of the pipeline left', 180_000, async () => {
        const { stdout } = await kp([
          'get',
          'deployments,services,configmaps,serviceaccounts,pods',
          '-o',
          'name',
        ]);
        const rest = stdout
          .split('\n')
          .filter(Boolean)
          .filter((n) => !['configmap/kube-root-ca.crt', 'serviceaccount/default'].includes(n));
        return rest.length === 0 ? rest : undefined;
      });
      expect(left).toEqual([]);
      figure('pipeline deleted to every object and pod gone', seconds(Date.now() - started));
    },
    240_000,
  );
});

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  HOST_IP,
  NODE_IP,
  dumpNamespace,
  eventually,
  helm,
  kubectl,
  kubectlJson,
  pods,
  figureLog,
  seconds,
  stepsMarking,
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
import { toolPath } from '../support/kube';
import { REPO_ROOT } from '../support/reliability/process';
import { Fleet, startLoad } from '../support/reliability/load';

/**
 * The chart's KEDA mode on a real single-node cluster with a real KEDA (scripts/cluster.sh keda; run by
 * `npm run test:cluster:keda`, not by `npm run test:cluster`: a cold KEDA build takes about 20 min). The chart
 * in plain mode with autoscaling.mode=keda against the cluster's own keda.sh/v1alpha1 API (no
 * assumeApiVersions), the host's Kafka and PostgreSQL; a backlog makes KEDA's Kafka scaler raise the
 * processor Deployment to its cap, the group spreads the partitions, the backlog drains, and the HPA KEDA
 * owns brings it back to one; nothing lost or doubled through both rebalances. Steps depend on the ones before
 * them; figures are printed and collected in docs/kubernetes.md.
 */

const CHART = path.join(REPO_ROOT, 'charts', 'telemetry-pulse');
const RELEASE = 'tp';
const NAMESPACE = `tp-keda-${Date.now().toString(36)}`;
const TOPIC = 'telemetry.events';
const DLQ_TOPIC = `${TOPIC}.dlq`;
const GROUP = 'telemetry-processor';
const BACKLOG_TOPIC = 'telemetry.backlog';
const BACKLOG_GROUP = 'telemetry-backlog';
const PARTITIONS = 6;
const MAX_REPLICAS = 4; // with KEDA's 3 pods and CoreDNS, what the node's 2000m of CPU requests hold
const LAG_THRESHOLD = 5_000;
const POLLING_S = 5;
const STABILIZATION_S = 30; // the HPA's scale-down window (KEDA's cooldownPeriod only governs scaling to zero)
const BACKLOG = 200_000;
const DB_PASSWORD = 'keda-test-password';
const VERSION = '0.1.0';
const RUN_DIR = path.join(REPO_ROOT, '.local', 'cluster', `test-run-keda-${process.pid}`);
const ARTIFACTS = path.join(REPO_ROOT, '.local', 'cluster', 'logs', 'test');
const PROCESSOR = `${RELEASE}-telemetry-pulse-processor`;

let host: HostServices;
let helmPath: string;
let valuesFile: string;
let failed = false;
const { figures, figure } = figureLog();
const fleet = new Fleet({
  seed: 21,
  tag: 'ccda0021',
  devices: 1000,
  startMs: Date.now() - 3_600_000,
  malformedRate: 0.005,
});

const k = (args: readonly string[], opts: { input?: string; allowFailure?: boolean } = {}) =>
  kubectl(['-n', NAMESPACE, ...args], opts);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface ScaledObject {
  spec: { minReplicaCount: number; maxReplicaCount: number };
  status?: { conditions?: Condition[]; hpaName?: string; externalMetricNames?: string[] };
}
interface Hpa {
  spec: {
    minReplicas: number;
    maxReplicas: number;
    scaleTargetRef: { name: string };
    metrics: { type: string; external?: { metric: { name: string } } }[];
    behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } };
  };
}

const scaledObject = () => kubectlJson<ScaledObject>(['-n', NAMESPACE, 'get', 'scaledobject', PROCESSOR]);
const condition = (so: ScaledObject, type: string) => so.status?.conditions?.find((c) => c.type === type);
const processorReplicas = async () =>
  (await kubectlJson<{ spec: { replicas: number } }>(['-n', NAMESPACE, 'get', 'deployment', PROCESSOR])).spec
    .replicas;

beforeAll(async () => {
  helmPath = toolPath('helm');
  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const api = await kubectl(
    [
      'get',
      'apiservice',
      'v1beta1.external.metrics.k8s.io',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Available")].status}',
    ],
    { allowFailure: true },
  );
  if (api.stdout !== 'True')
    throw new Error(
      `KEDA's external metrics API is not available (${api.stderr.trim() || api.stdout || 'no APIService'}): ` +
        'run npm run test:cluster:keda, or scripts/cluster.sh keda',
    );
  host = await startHostServices({
    runDir: RUN_DIR,
    topics: [TOPIC, DLQ_TOPIC],
    partitions: PARTITIONS,
    dbPassword: DB_PASSWORD,
  });
  await createRestrictedNamespace(NAMESPACE);
  await k(['create', 'secret', 'generic', 'telemetry-pulse-database', `--from-literal=url=${host.dbUrl}`]);
}, 600_000);

afterAll(async () => {
  if (failed) await dumpNamespace(NAMESPACE, path.join(ARTIFACTS, `${NAMESPACE}.log`)).catch(() => undefined);
  console.log('KEDA figures:', figures);
  await helm(helmPath, ['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '2m'], {
    allowFailure: true,
  });
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false'], { allowFailure: true });
  await host?.stop();
}, 180_000);

const step = stepsMarking(() => {
  failed = true;
});

describe("the chart's KEDA mode with a real KEDA", () => {
  step(
    'installs with autoscaling.mode=keda against the served keda.sh API: ScaledObject Ready, its HPA, one processor',
    async () => {
      const values = (valuesFile = path.join(RUN_DIR, 'keda-values.yaml'));
      const [, kafkaPort] = host.kafka.directBrokers.split(':');
      writeFileSync(
        values,
        [
          `kafka: { brokers: '${host.kafka.directBrokers}', topic: { name: ${TOPIC}, partitions: ${PARTITIONS} } }`,
          'database: { existingSecret: telemetry-pulse-database }',
          'networkPolicy:',
          `  kafka: { ports: [${kafkaPort}], to: [{ ipBlock: { cidr: ${HOST_IP}/32 } }] }`,
          `  postgresql: { ports: [${host.postgres.port}], to: [{ ipBlock: { cidr: ${HOST_IP}/32 } }] }`,
          `  kubeApi: { ports: [6443], to: [{ ipBlock: { cidr: ${NODE_IP}/32 } }] }`,
          'api: { replicaCount: 1, resources: { requests: { cpu: 50m, memory: 96Mi } } }',
          // A fixed share of the 2 cores per processor, so that more of them drain faster (as in operator.test.ts).
          `processor: { groupId: ${GROUP}, resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { cpu: 200m, memory: 512Mi } } }`,
          'autoscaling:',
          '  mode: keda',
          '  minReplicas: 1',
          `  maxReplicas: ${MAX_REPLICAS}`,
          '  keda:',
          `    lagThreshold: ${LAG_THRESHOLD}`,
          '    activationLagThreshold: 100',
          `    pollingInterval: ${POLLING_S}`,
          '    cooldownPeriod: 30',
          `    behavior: { scaleDown: { stabilizationWindowSeconds: ${STABILIZATION_S} } }`,
          '',
        ].join('\n'),
      );
      const args = ['-n', NAMESPACE, '--values', values];
      // --validate: the cluster's API versions, as install sees them (the chart refuses keda mode without keda.sh).
      const { stdout } = await helm(helmPath, ['template', RELEASE, CHART, ...args, '--validate']);
      const images = [
        ...new Set([...stdout.matchAll(/^\s*image:\s*"?([^"\s]+)"?\s*$/gm)].map((m) => m[1] ?? '')),
      ];
      await tagForChart(images.filter(Boolean), VERSION);
      expect(stdout).toContain('kind: ScaledObject');
      expect(stdout).not.toContain('kind: HorizontalPodAutoscaler');

      const started = Date.now();
      await helm(helmPath, ['install', RELEASE, CHART, ...args, '--wait', '--timeout', '5m']);
      figure('helm install (KEDA mode) to every pod Ready', seconds(Date.now() - started));
      const so = await eventually('the ScaledObject did not become Ready', 120_000, async () => {
        const s = await scaledObject();
        return condition(s, 'Ready')?.status === 'True' && s.status?.hpaName ? s : undefined;
      });
      console.log('ScaledObject conditions:', so.status?.conditions);
      expect({ min: so.spec.minReplicaCount, max: so.spec.maxReplicaCount }).toEqual({
        min: 1,
        max: MAX_REPLICAS,
      });
      // The HPA is KEDA's, on the external metric its adapter serves through the aggregation layer.
      const hpa = await kubectlJson<Hpa>(['-n', NAMESPACE, 'get', 'hpa', so.status?.hpaName ?? '']);
      expect(hpa.spec).toMatchObject({
        minReplicas: 1,
        maxReplicas: MAX_REPLICAS,
        scaleTargetRef: { name: PROCESSOR },
        behavior: { scaleDown: { stabilizationWindowSeconds: STABILIZATION_S } },
      });
      expect(hpa.spec.metrics.map((m) => m.type)).toEqual(['External']);
      const metric = hpa.spec.metrics[0]?.external?.metric.name ?? '';
      const { stdout: served } = await kubectl([
        'get',
        '--raw',
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NAMESPACE}/${metric}?labelSelector=scaledobject.keda.sh%2Fname%3D${PROCESSOR}`,
      ]);
      console.log('external metric served by the adapter:', served);
      expect(served).toContain('"kind":"ExternalMetricValueList"');
      await settledAssignment(host.kafka, GROUP, TOPIC, {
        members: 1,
        partitions: PARTITIONS,
        when: 'installed',
      });
      expect(await processorReplicas()).toBe(1);
    },
    480_000,
  );

  step(
    `pointed at a backlog of ${BACKLOG} readings: KEDA scales the processors to ${MAX_REPLICAS}, the group spreads the partitions, the backlog drains`,
    async () => {
      // Produced beforehand into a topic nobody reads yet (as in operator.test.ts), so that the lag is there at
      // once: produced into the live topic, one processor keeps it below what four replicas are asked for.
      const admin = host.kafka.kafka().admin();
      await admin.connect();
      // Dead letters still go to kafka.topic.dlqName, unchanged.
      await admin.createTopics({ topics: [{ topic: BACKLOG_TOPIC, numPartitions: PARTITIONS }] });
      await admin.disconnect();
      const produced = Date.now();
      await startLoad(host.producer, fleet, {
        topic: BACKLOG_TOPIC,
        total: BACKLOG,
        ratePerSec: 100_000,
        chunk: 500,
      }).done;
      console.log(
        `backlog of ${BACKLOG} readings in ${BACKLOG_TOPIC} produced in ${seconds(Date.now() - produced)}`,
      );

      let firstUpAt = 0;
      let most = 0;
      const seen: number[] = [];
      const watch = setInterval(() => {
        void processorReplicas()
          .then((n) => {
            if (n > 1 && firstUpAt === 0) firstUpAt = Date.now();
            if (seen.at(-1) !== n) seen.push(n);
            most = Math.max(most, n);
          })
          .catch(() => undefined);
      }, 500);
      try {
        // The processors and KEDA's trigger both follow kafka.topic.name and processor.groupId.
        const started = Date.now();
        await helm(helmPath, [
          'upgrade',
          RELEASE,
          CHART,
          '-n',
          NAMESPACE,
          '--values',
          valuesFile,
          '--set',
          `kafka.topic.name=${BACKLOG_TOPIC}`,
          '--set',
          `processor.groupId=${BACKLOG_GROUP}`,
        ]);
        const so = await eventually('KEDA did not activate the ScaledObject', 120_000, async () => {
          const s = await scaledObject();
          return condition(s, 'Active')?.status === 'True' ? s : undefined;
        });
        console.log('ScaledObject Active:', condition(so, 'Active'));
        const assignment = await settledAssignment(host.kafka, BACKLOG_GROUP, BACKLOG_TOPIC, {
          members: MAX_REPLICAS,
          partitions: PARTITIONS,
          when: `scaled up to ${MAX_REPLICAS} by KEDA`,
        });
        figure(
          `helm upgrade onto the backlog to the first scale-up (polling ${POLLING_S} s, HPA sync 15 s)`,
          seconds(firstUpAt - started),
        );
        figure(
          `helm upgrade to ${MAX_REPLICAS} members sharing the partitions`,
          seconds(Date.now() - started),
        );
        expect(Object.values(assignment).every((parts) => parts.length >= 1)).toBe(true);
        const drained = await drainedLag(host, BACKLOG_GROUP, BACKLOG_TOPIC);
        figure(
          `helm upgrade onto a backlog of ${BACKLOG} to lag 0, up to ${most} processors (cpu limit 200m)`,
          seconds(Date.now() - started),
        );
        console.log('drained:', drained, 'replicas seen:', seen);
      } finally {
        clearInterval(watch);
      }
      // KEDA never asks for more than maxReplicaCount (nor, allowIdleConsumers false, than partitions).
      figure('most processor replicas', String(most));
      expect(most).toBe(MAX_REPLICAS);
    },
    900_000,
  );

  step(
    'back to one processor after the stabilisation window; nothing lost or doubled through both rebalances',
    async () => {
      const drainedAt = Date.now();
      await eventually('KEDA did not scale back down', (STABILIZATION_S + 180) * 1000, async () =>
        (await processorReplicas()) === 1 ? true : undefined,
      );
      figure(
        `lag 0 to scaled back down to 1 (HPA window ${STABILIZATION_S} s)`,
        seconds(Date.now() - drainedAt),
      );
      await settledAssignment(host.kafka, BACKLOG_GROUP, BACKLOG_TOPIC, {
        members: 1,
        partitions: PARTITIONS,
        when: 'scaled down',
      });
      const live = (await pods(NAMESPACE, `app.kubernetes.io/component=processor`)).filter(
        (p) => !p.metadata.deletionTimestamp,
      );
      expect(live).toHaveLength(1);
      const so = await scaledObject();
      expect(condition(so, 'Ready')?.status).toBe('True');
      expect(condition(so, 'Active')?.status).toBe('False');

      const lag = await drainedLag(host, BACKLOG_GROUP, BACKLOG_TOPIC);
      // The first topic got nothing (no simulator): the backlog's topic holds every record.
      const account = await topicAccount(host.kafka, BACKLOG_TOPIC);
      const { ledger, counts } = await expectLedgerBalanced(
        host,
        { tag: fleet.opts.tag, valid: fleet.valid, malformed: fleet.malformed },
        account,
      );
      console.log('after scaling up and down:', { lag, ledger, account, counts });
    },
    600_000,
  );

  step(
    "the chart's SASL TriggerAuthentication and its ScaledObject (ci/keda-values.yaml) are accepted by KEDA's API and webhook",
    async () => {
      // No SASL broker here: the server-side dry run checks both objects against KEDA's CRD schemas and its
      // admission webhook (the real validation a user's `helm install` meets), without KEDA reaching a broker.
      const { stdout } = await helm(helmPath, [
        'template',
        'sasl',
        CHART,
        '-n',
        NAMESPACE,
        '--values',
        path.join(CHART, 'ci', 'keda-values.yaml'),
        '--show-only',
        'templates/processor/scaledobject.yaml',
        '--show-only',
        'templates/processor/triggerauthentication.yaml',
      ]);
      expect(stdout).toContain('kind: TriggerAuthentication');
      const applied = await k(['apply', '--dry-run=server', '-f', '-'], { input: stdout });
      console.log(applied.stdout);
      expect(applied.stdout).toMatch(
        /triggerauthentication\.keda\.sh\/sasl-telemetry-pulse-processor-kafka created/,
      );
      expect(applied.stdout).toMatch(/scaledobject\.keda\.sh\/sasl-telemetry-pulse-processor created/);
    },
    120_000,
  );
});

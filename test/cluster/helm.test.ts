import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import {
  HOST_IP,
  NODE_IP,
  dumpNamespace,
  eventually,
  helm,
  isReady,
  kubectl,
  kubectlJson,
  pods,
  stepsMarking,
} from '../support/cluster';
import {
  createRestrictedNamespace,
  settledAssignment,
  startHostServices,
  tagForChart,
  topicAccount,
  type HostServices,
} from '../support/cluster-services';
import { aggregateMismatches, tableCounts } from '../support/invariants';
import { toolPath } from '../support/kube';
import type { PrivateKafka } from '../support/reliability/kafka';
import type { PrivatePostgres } from '../support/reliability/postgres';
import { REPO_ROOT } from '../support/reliability/process';
import { checkLag, checkLedger } from '../support/reliability/invariants';
import { Fleet, startLoad, type Load } from '../support/reliability/load';

/**
 * The Helm chart on a real single-node cluster (scripts/cluster.sh; run by `npm run test:cluster`): the images
 * `npm run images` built, Kafka and PostgreSQL of the host's reached through an external-services values file
 * (as a user with managed Kafka and PostgreSQL would), ci/extras-values.yaml on top. One release, checked step
 * by step; each step depends on the ones before it.
 */

const CHART = path.join(REPO_ROOT, 'charts', 'telemetry-pulse');
const RELEASE = 'tp';
const NAMESPACE = `tp-cluster-${Date.now().toString(36)}`;
const TOPIC = 'telemetry.events';
const DLQ_TOPIC = 'telemetry.events.dlq';
const GROUP = 'telemetry-processor';
const PARTITIONS = 6;
const DB_PASSWORD = 'cluster-test-password';
const VERSION = '0.1.0';
const NEXT_TAG = `${VERSION}-rollout`;
const COMPONENTS = ['simulator', 'processor', 'api', 'operator'] as const;
const RUN_DIR = path.join(REPO_ROOT, '.local', 'cluster', `test-run-${process.pid}`);
const ARTIFACTS = path.join(REPO_ROOT, '.local', 'cluster', 'logs', 'test');
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;
const selector = (component: string) => `${INSTANCE},app.kubernetes.io/component=${component}`;

let host: HostServices;
let kafka: PrivateKafka;
let postgres: PrivatePostgres;
let db: pg.Pool;
let producer: Producer;
let helmPath: string;
let valuesFile: string;
let ledgerLoad: Load | undefined;
const fleet = new Fleet({
  seed: 17,
  tag: 'c1a57e17',
  devices: 60,
  startMs: Date.now() - 3_600_000,
  malformedRate: 0.01,
});
let failed = false;

const k = (args: readonly string[], opts: { input?: string; allowFailure?: boolean } = {}) =>
  kubectl(['-n', NAMESPACE, ...args], opts);
const h = (args: readonly string[], opts: { allowFailure?: boolean } = {}) => helm(helmPath, args, opts);

/** Every image the chart renders with these values, e.g. registry.internal:5000/telemetry-pulse/api:0.1.0. */
async function renderedImages(extra: readonly string[] = []): Promise<string[]> {
  const { stdout } = await h(['template', RELEASE, CHART, '-n', NAMESPACE, ...valuesArgs(), ...extra]);
  return [...new Set([...stdout.matchAll(/^\s*image:\s*"?([^"\s]+)"?\s*$/gm)].map((m) => m[1] ?? ''))].filter(
    Boolean,
  );
}

const valuesArgs = () => ['--values', path.join(CHART, 'ci', 'extras-values.yaml'), '--values', valuesFile];

/** Sends n readings of the ledger fleet (1 % malformed) at `rate` per second, in the background. */
function ledger(n: number, rate: number): Load {
  ledgerLoad = startLoad(producer, fleet, { topic: TOPIC, total: n, ratePerSec: rate, chunk: 100 });
  return ledgerLoad;
}

async function processorPods() {
  return (await pods(NAMESPACE, selector('processor'))).filter((p) => !p.metadata.deletionTimestamp);
}

/** Waits until the two processors share all partitions (a rebalance done), and returns who has which. */
const settled = (when: string) =>
  settledAssignment(kafka, GROUP, TOPIC, { members: 2, partitions: PARTITIONS, when });

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
  ({ kafka, postgres, db, producer } = host);

  const [, kafkaPort] = kafka.directBrokers.split(':');
  valuesFile = path.join(RUN_DIR, 'external-services-values.yaml');
  // What a user with a managed Kafka and PostgreSQL outside the cluster writes (docs/kubernetes.md).
  writeFileSync(
    valuesFile,
    [
      `kafka: { brokers: '${kafka.directBrokers}', topic: { partitions: ${PARTITIONS} } }`,
      'database: { existingSecret: telemetry-pulse-database }',
      'networkPolicy:',
      `  kafka: { ports: [${kafkaPort}], to: [{ ipBlock: { cidr: ${HOST_IP}/32 } }] }`,
      `  postgresql: { ports: [${postgres.port}], to: [{ ipBlock: { cidr: ${HOST_IP}/32 } }] }`,
      `  kubeApi: { ports: [6443], to: [{ ipBlock: { cidr: ${NODE_IP}/32 } }] }`,
      'processor: { replicaCount: 2 }',
      '',
    ].join('\n'),
  );

  await createRestrictedNamespace(NAMESPACE);
  await k(['create', 'secret', 'generic', 'telemetry-pulse-database', `--from-literal=url=${host.dbUrl}`]);
  await tagForChart(await renderedImages(), VERSION);
}, 600_000);

afterAll(async () => {
  ledgerLoad?.stop();
  if (failed) await dumpNamespace(NAMESPACE, path.join(ARTIFACTS, `${NAMESPACE}.log`)).catch(() => undefined);
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false'], { allowFailure: true });
  await host?.stop();
}, 120_000);

const step = stepsMarking(() => {
  failed = true;
});

describe('the chart on a real single-node cluster', () => {
  step(
    'installs with ci/extras-values.yaml under the restricted Pod Security level: every pod Ready, none restarted',
    async () => {
      // The level is enforced: a pod without the restricted settings is refused.
      const refused = await k(
        ['run', 'not-restricted', '--image=registry.internal:5000/telemetry-pulse/api:0.1.0'],
        {
          allowFailure: true,
        },
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('violates PodSecurity "restricted');

      const started = Date.now();
      await h(['install', RELEASE, CHART, '-n', NAMESPACE, ...valuesArgs(), '--wait', '--timeout', '6m']);
      const all = await pods(NAMESPACE);
      console.log(
        `helm install to every pod Ready: ${((Date.now() - started) / 1000).toFixed(1)} s, ${all.length} pods`,
      );
      // As many pods of each component as its Deployment asks for (the chart's replica defaults).
      const { items: deployments } = await kubectlJson<{
        items: { metadata: { labels: Record<string, string> }; spec: { replicas: number } }[];
      }>(['-n', NAMESPACE, 'get', 'deployments', '-l', INSTANCE]);
      const wanted = deployments.flatMap((d) =>
        Array<string>(d.spec.replicas).fill(d.metadata.labels['app.kubernetes.io/component'] ?? ''),
      );
      const names = all.map((p) => p.metadata.labels?.['app.kubernetes.io/component'] ?? '');
      expect(names.sort()).toEqual(wanted.sort());
      expect(new Set(names)).toEqual(new Set(COMPONENTS));
      for (const p of all) {
        expect({ pod: p.metadata.name, ready: isReady(p) }).toEqual({ pod: p.metadata.name, ready: true });
        for (const c of p.status.containerStatuses ?? [])
          expect({ c: c.name, restarts: c.restartCount }).toEqual({ c: c.name, restarts: 0 });
      }
      // The air-gapped mirror names of ci/extras-values.yaml are what the pods run.
      for (const p of all) {
        const registry =
          p.metadata.labels?.['app.kubernetes.io/component'] === 'operator'
            ? 'registry.platform.internal/'
            : 'registry.internal:5000/';
        for (const c of p.spec.containers) expect(c.image.startsWith(registry)).toBe(true);
      }
    },
    480_000,
  );

  step(
    'migrated the schema exactly once, with two processors and the API starting together',
    async () => {
      const files = readdirSync(path.join(REPO_ROOT, 'services', 'shared', 'migrations')).filter((f) =>
        f.endsWith('.sql'),
      );
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]?.n).toBe(files.length);
      let applied = 0;
      for (const p of [...(await processorPods()), ...(await pods(NAMESPACE, selector('api')))]) {
        const { stdout } = await k(['logs', p.metadata.name, '--all-containers']);
        applied += stdout.split('\n').filter((l) => l.includes('"applied migration"')).length;
        expect(stdout).not.toMatch(/migration \d+_\S+ failed/);
      }
      expect(applied).toBe(files.length);
    },
    60_000,
  );

  step(
    "carries the simulator's readings through both processors into PostgreSQL",
    async () => {
      await eventually('no readings stored', 120_000, async () => {
        const { raw } = await tableCounts(db);
        return raw >= 200 ? raw : undefined;
      });
      const assignment = await settled('after install');
      expect(Object.values(assignment).map((p) => p.length)).toEqual([3, 3]);
    },
    180_000,
  );

  step(
    'answers through its Service from outside the pods (ClusterIP, kube-proxy) and by name inside (helm test)',
    async () => {
      const svc = await kubectlJson<{ spec: { clusterIP: string; ports: { port: number }[] } }>([
        '-n',
        NAMESPACE,
        'get',
        'service',
        `${RELEASE}-telemetry-pulse-api`,
      ]);
      const base = `http://${svc.spec.clusterIP}:${svc.spec.ports[0]?.port ?? 0}`;
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      const sites = (await (await fetch(`${base}/api/v1/sites`)).json()) as unknown;
      expect(JSON.stringify(sites)).toContain('site-');
      const test = await h(['test', RELEASE, '-n', NAMESPACE, '--logs', '--timeout', '3m']);
      expect(test.stdout).toMatch(/Phase:\s+Succeeded/);
      expect(test.stdout).toContain('/readyz 200');
    },
    240_000,
  );

  step(
    'enforces its NetworkPolicies: the simulator cannot reach PostgreSQL, the processor can, DNS works',
    async () => {
      const { items } = await kubectlJson<{ items: unknown[] }>(['-n', NAMESPACE, 'get', 'networkpolicies']);
      expect(items.length).toBeGreaterThanOrEqual(5);
      const probe = (pod: string, host: string, port: number) =>
        k(
          [
            'exec',
            pod,
            '--',
            'node',
            '-e',
            `const s=require('net').connect(${port},'${host}');s.setTimeout(4000);` +
              `s.on('connect',()=>{console.log('open');process.exit(0)});` +
              `s.on('timeout',()=>{console.log('blocked');process.exit(3)});s.on('error',e=>{console.log(e.code);process.exit(4)})`,
          ],
          { allowFailure: true },
        );
      const [sim] = await pods(NAMESPACE, selector('simulator'));
      const [proc] = await processorPods();
      if (!sim || !proc) throw new Error('no simulator or processor pod');
      const fromSimulator = await probe(sim.metadata.name, HOST_IP, postgres.port);
      const fromProcessor = await probe(proc.metadata.name, HOST_IP, postgres.port);
      // kube-router rejects what no policy allows (ECONNREFUSED) where other enforcers drop it (a timeout);
      // the same address and port open from the processor shows it is the policy that refuses.
      expect(['blocked', 'ECONNREFUSED']).toContain(fromSimulator.stdout.trim());
      expect(fromProcessor.stdout.trim()).toBe('open');
      const dns = await k([
        'exec',
        sim.metadata.name,
        '--',
        'node',
        '-e',
        `require('dns').promises.lookup('${RELEASE}-telemetry-pulse-api.${NAMESPACE}.svc.cluster.local').then(a=>console.log(a.address))`,
      ]);
      expect(dns.stdout.trim()).toMatch(/^10\.96\./);
    },
    120_000,
  );

  step(
    'loses and doubles nothing when a processor pod is deleted mid-stream and when helm upgrade rolls a new tag',
    async () => {
      const load = ledger(24_000, 200);
      await eventually('ledger readings not flowing', 60_000, async () =>
        load.stats.acked >= 2_000 ? true : undefined,
      );
      const [victim] = await processorPods();
      if (!victim) throw new Error('no processor pod');
      console.log(`deleting ${victim.metadata.name} after ${load.stats.acked} ledger readings`);
      await k(['delete', 'pod', victim.metadata.name, '--wait=false']);
      await eventually('a replacement processor did not become Ready', 180_000, async () => {
        const now = await processorPods();
        return now.length === 2 &&
          now.every(isReady) &&
          !now.some((p) => p.metadata.name === victim.metadata.name)
          ? true
          : undefined;
      });
      await settled('after the deletion');

      const before = (await processorPods()).map((p) => p.metadata.name);
      await tagForChart(await renderedImages(['--set', `image.tag=${NEXT_TAG}`]), VERSION);
      await h([
        'upgrade',
        RELEASE,
        CHART,
        '-n',
        NAMESPACE,
        ...valuesArgs(),
        '--set',
        `image.tag=${NEXT_TAG}`,
        '--wait',
        '--timeout',
        '6m',
      ]);
      const after = await processorPods();
      expect(after.map((p) => p.metadata.name).filter((n) => before.includes(n))).toEqual([]);
      for (const p of after) expect(p.spec.containers[0]?.image).toMatch(new RegExp(`:${NEXT_TAG}$`));
      await settled('after the upgrade');

      await load.done;
      // The simulator stops (its last batch flushed) so the topic's content is final.
      await k(['scale', 'deployment', `${RELEASE}-telemetry-pulse-simulator`, '--replicas=0']);
      await eventually('simulator pod still there', 120_000, async () =>
        (await pods(NAMESPACE, selector('simulator'))).length === 0 ? true : undefined,
      );
      const admin = kafka.kafka().admin();
      await admin.connect();
      const lag = await eventually('the processors did not drain the topic', 300_000, async () => {
        const l = await checkLag(admin, db, GROUP, TOPIC);
        return l.lag === 0 && l.applied === l.records ? l : undefined;
      });
      await admin.disconnect();
      const ledgerReport = await checkLedger(db, {
        tag: fleet.opts.tag,
        valid: fleet.valid,
        malformed: fleet.malformed,
      });
      const account = await topicAccount(kafka, TOPIC);
      const counts = await tableCounts(db);
      console.log('after the faults:', { lag, ledger: ledgerReport, topic: account, counts });
      // The ledger's readings: every one stored (raw rows cannot double: event_id is the key), every
      // malformed one a dead letter exactly once.
      const { rows: ledgerDl } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM dead_letters WHERE convert_from(message_value, 'UTF8') LIKE '%tp-bad-%'`,
      );
      expect({ lost: ledgerReport.lost, deadLetters: ledgerDl[0]?.n }).toEqual({
        lost: 0,
        deadLetters: fleet.malformed,
      });
      // Every record in the topic (the simulator's, duplicates and malformed ones included, and the ledger's)
      // is one raw row per distinct reading or one dead letter; aggregates equal the raw rows they cover.
      expect(account.records).toBe(lag.records);
      expect({ raw: counts.raw, deadLetters: counts.deadLetters }).toEqual({
        raw: account.distinctValid,
        deadLetters: account.invalid,
      });
      expect(await aggregateMismatches(db)).toEqual([]);
    },
    900_000,
  );

  step(
    'helm uninstall leaves no object of the release behind',
    async () => {
      await h(['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '3m']);
      const kinds = (await kubectl(['api-resources', '--verbs=list', '--namespaced', '-o', 'name'])).stdout
        .split('\n')
        .filter((r) => r && !r.startsWith('events'));
      const left = await eventually('objects left in the namespace', 120_000, async () => {
        const { stdout } = await k(['get', kinds.join(','), '-o', 'name'], { allowFailure: true });
        const rest = stdout
          .split('\n')
          .filter(Boolean)
          // What Kubernetes itself puts in every namespace, and the Secret this test made before installing.
          .filter(
            (n) =>
              ![
                'configmap/kube-root-ca.crt',
                'serviceaccount/default',
                'secret/telemetry-pulse-database',
              ].includes(n),
          );
        if (rest.length > 0) throw new Error(`left: ${rest.join(', ')}`);
        return rest;
      });
      expect(left).toEqual([]);
      const clusterKinds = (
        await kubectl(['api-resources', '--verbs=list', '--namespaced=false', '-o', 'name'])
      ).stdout
        .split('\n')
        .filter(Boolean);
      const { stdout } = await kubectl(['get', clusterKinds.join(','), '-l', INSTANCE, '-o', 'name']);
      expect(stdout.split('\n').filter((n) => n && !n.startsWith('customresourcedefinition'))).toEqual([]);
    },
    240_000,
  );
});

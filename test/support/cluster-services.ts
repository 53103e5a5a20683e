import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { parseEvent } from '@telemetry-pulse/shared';
import { HOST_IP, POD_CIDR, ctr, eventually, kubectl } from './cluster';
import { aggregateMismatches, tableCounts, type TableCounts } from './invariants';
import { checkLag, checkLedger, type Ledger, type LedgerReport } from './reliability/invariants';
import { startPrivateKafka, type PrivateKafka } from './reliability/kafka';
import { startPrivatePostgres, type PrivatePostgres } from './reliability/postgres';

/**
 * Kafka and PostgreSQL of the host's for the pods of test/cluster: private ones on the host's end of the
 * node link (scripts/cluster.sh), as a user with a managed Kafka and PostgreSQL outside the cluster has them.
 */
export interface HostServices {
  readonly kafka: PrivateKafka;
  readonly postgres: PrivatePostgres;
  /** The pipeline's database as its pods reach it (role telemetry, password auth). */
  readonly dbUrl: string;
  /** A pool on that database for the test's SQL. */
  readonly db: pg.Pool;
  readonly producer: Producer;
  stop(): Promise<void>;
}

export interface HostServicesOptions {
  readonly runDir: string;
  readonly topics: readonly string[];
  readonly partitions: number;
  readonly dbPassword: string;
}

export async function startHostServices(o: HostServicesOptions): Promise<HostServices> {
  const [kafka, postgres] = await Promise.all([
    startPrivateKafka(o.runDir, HOST_IP),
    startPrivatePostgres(o.runDir, {
      host: HOST_IP,
      // The pods come from the pod network (masqueraded to the node's address): passwords, never trust.
      configure: (dataDir) =>
        writeFileSync(
          path.join(dataDir, 'pg_hba.conf'),
          `host all all ${HOST_IP}/24 scram-sha-256\nhost all all ${POD_CIDR} scram-sha-256\n`,
          { flag: 'a' },
        ),
    }),
  ]);
  const admin = new pg.Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE telemetry LOGIN PASSWORD '${o.dbPassword}'`);
  await admin.query('CREATE DATABASE telemetry OWNER telemetry');
  await admin.end();
  const dbUrl = `postgres://telemetry:${o.dbPassword}@${HOST_IP}:${postgres.port}/telemetry`;
  const db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  db.on('error', () => undefined); // an idle client's error (server stopped at the end) is not the test's

  const kafkaAdmin = kafka.kafka().admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({
    topics: o.topics.map((topic) => ({ topic, numPartitions: o.partitions, replicationFactor: 1 })),
  });
  await kafkaAdmin.disconnect();
  const producer = new Kafka({
    clientId: 'cluster-test',
    brokers: [kafka.directBrokers],
    logLevel: logLevel.NOTHING,
  }).producer({ idempotent: true });
  await producer.connect();
  return {
    kafka,
    postgres,
    dbUrl,
    db,
    producer,
    async stop() {
      await producer.disconnect().catch(() => undefined);
      await db.end().catch(() => undefined);
      await kafka.stop();
      await postgres.stop();
    },
  };
}

/** The consumer group's members (host and member id tail) and the partitions of `topic` each holds. */
export async function groupAssignment(
  kafka: PrivateKafka,
  group: string,
  topic: string,
): Promise<Map<string, number[]>> {
  const admin = kafka.kafka().admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    const out = new Map<string, number[]>();
    for (const m of groups[0]?.members ?? []) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      out.set(`${m.clientHost} ${m.memberId.slice(-8)}`, a?.assignment[topic] ?? []);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** The consumer group's state as the broker reports it (Stable, PreparingRebalance, …). */
async function groupState(kafka: PrivateKafka, group: string): Promise<string> {
  const admin = kafka.kafka().admin();
  await admin.connect();
  try {
    return (await admin.describeGroups([group])).groups[0]?.state ?? 'Unknown';
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until `members` consumers share every partition (a rebalance done) and returns who has which.
 */
export async function settledAssignment(
  kafka: PrivateKafka,
  group: string,
  topic: string,
  o: { members: number; partitions: number; when: string },
): Promise<Record<string, number[]>> {
  const every = Array.from({ length: o.partitions }, (_, i) => i).join();
  const settled = await eventually(`the group did not settle ${o.when}`, 180_000, async () => {
    const a = await groupAssignment(kafka, group, topic);
    const all = [...a.values()].flat().sort((x, y) => x - y);
    // Mid-rebalance a member that just joined shows the previous generation's (empty) assignment: settled
    // is the group Stable with every partition held once and, while there are enough, every member holding one.
    const busy = [...a.values()].every((p) => p.length > 0) || o.members > o.partitions;
    return a.size === o.members &&
      all.join() === every &&
      busy &&
      (await groupState(kafka, group)) === 'Stable'
      ? Object.fromEntries(a)
      : undefined;
  });
  console.log(`consumer group ${o.when}:`, settled);
  return settled;
}

/** Every record of the topic, read back from the host: distinct valid event_ids and invalid records. */
export async function topicAccount(
  kafka: PrivateKafka,
  topic: string,
): Promise<{ records: number; distinctValid: number; invalid: number }> {
  const admin = kafka.kafka().admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const records = ends.reduce((s, p) => s + Number(p.high), 0);
  const consumer = kafka.kafka().consumer({ groupId: `cluster-test-account-${Date.now()}` });
  const ids = new Set<string>();
  let seen = 0;
  let invalid = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen} of ${records} records in 180 s`)), 180_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const parsed = parseEvent(m.value);
          if (parsed.ok) ids.add(parsed.event.eventId);
          else invalid += 1;
          seen += 1;
        }
        if (seen >= records) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return { records, distinctValid: ids.size, invalid };
}

const COMPONENTS = ['simulator', 'processor', 'api', 'operator'] as const;

/**
 * Gives the images `npm run images` built (localhost/telemetry-pulse/<component>:<version>) the names a
 * chart renders (an air-gapped mirror's, another tag), in the node's containerd: no registry is reachable.
 */
export async function tagForChart(images: readonly string[], version: string): Promise<void> {
  for (const image of images) {
    const component = COMPONENTS.find((c) => image.includes(`/telemetry-pulse/${c}:`));
    if (!component) throw new Error(`no component image for ${image}`);
    const built = `localhost/telemetry-pulse/${component}:${version}`;
    if (image !== built) await ctr(['images', 'tag', '--force', built, image]);
  }
}

/** A namespace under the restricted Pod Security Standard (enforced: a pod without it is refused). */
export async function createRestrictedNamespace(name: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    }),
  });
}

/** Waits (10 min at most) until `group` has applied every record of `topic` and its lag is 0. */
export async function drainedLag(
  host: HostServices,
  group: string,
  topic: string,
): Promise<{ records: number; lag: number; applied: number }> {
  const admin = host.kafka.kafka().admin();
  await admin.connect();
  try {
    return await eventually(`the processors did not drain ${topic}`, 600_000, async () => {
      const l = await checkLag(admin, host.db, group, topic);
      return l.lag === 0 && l.applied === l.records ? l : undefined;
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The SQL invariant after a run: every reading of the test's ledger stored once (none lost, none doubled),
 * one raw row per distinct valid reading in the topics and one dead letter per invalid record, and the
 * windows equal to what the raw rows add up to. Returns what it read, for the test's log.
 */
export async function expectLedgerBalanced(
  host: HostServices,
  ledger: Ledger,
  account: { readonly distinctValid: number; readonly invalid: number },
): Promise<{ ledger: LedgerReport; counts: TableCounts }> {
  const report = await checkLedger(host.db, ledger);
  const counts = await tableCounts(host.db);
  expect({ lost: report.lost, duplicated: report.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  expect({ raw: counts.raw, deadLetters: counts.deadLetters }).toEqual({
    raw: account.distinctValid,
    deadLetters: account.invalid,
  });
  expect(await aggregateMismatches(host.db)).toEqual([]);
  return { ledger: report, counts };
}

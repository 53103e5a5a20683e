import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import type { Processor } from '@telemetry-pulse/processor';
import { readings, publish } from '../support/events';
import {
  BROKERS,
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { aggregateMismatches, tableCounts } from '../support/invariants';
import { appliedRecords } from '../support/pipeline';
import { startTestProcessor } from '../support/processor';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Faults during processing, on the real broker and database. After each, the invariants hold: raw rows =
 * distinct readings sent, no doubles, every aggregate equals its recomputation, nothing dead-lettered.
 */
describe('processor under faults (real Kafka and PostgreSQL)', () => {
  const kafka: Kafka = testKafka();
  let producer: Producer;
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let topic: string;
  let group: string;
  const running: Processor[] = [];

  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    PROCESSOR_TOPIC: topic,
    PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
    PROCESSOR_GROUP_ID: group,
    PROCESSOR_TOPIC_PARTITIONS: '6',
    PROCESSOR_CONCURRENCY: '2',
    // Small fetches: many batches, so faults land mid-stream.
    PROCESSOR_MAX_BATCH_BYTES: '65536',
  });

  beforeEach(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined); // expected while PostgreSQL is stopped
    topic = uniqueName('it.faults');
    group = uniqueName('it-faults');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 6 },
        { topic: `${topic}.dlq`, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    // One producer per test: kafkajs keeps refreshing metadata of every topic it ever sent to, and a
    // deleted topic from an earlier test would fail those refreshes.
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
    await producer.disconnect();
    await pool.end();
    await db.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function expectInvariants(sent: number): Promise<void> {
    const counts = await tableCounts(pool);
    expect(counts.raw).toBe(sent);
    expect(counts.distinctRaw).toBe(sent);
    expect(counts.deadLetters).toBe(0);
    expect(await aggregateMismatches(pool)).toEqual([]);
  }

  const drained = (total: number, timeoutMs = 120_000) =>
    waitFor(
      `all ${total} records applied`,
      async () => ((await appliedRecords(pool, group, topic)) >= total ? true : undefined),
      timeoutMs,
    );

  it('keeps every reading exactly once while members leave and join mid-run', async () => {
    const events = readings(30_000);
    const start = async () => running.push((await startTestProcessor(env())).processor);
    await Promise.all([start(), start(), start()]);
    const sending = publish(producer, topic, events, 1_000);
    await waitFor('a third applied', async () =>
      (await appliedRecords(pool, group, topic)) > 10_000 ? true : undefined,
    );
    const leaving = running.splice(1, 1)[0];
    await leaving?.stop(); // graceful leave: finishes its batch, commits, leaves the group
    await start(); // a new member joins: another rebalance
    await sending;
    await drained(events.length);
    await expectInvariants(events.length);
  });

  it('recovers from kill -9 of a processor process in the middle of its work', async () => {
    const events = readings(60_000);
    await publish(producer, topic, events, 5_000);
    const spawnProcessor = (): ChildProcess =>
      spawn(process.execPath, [path.join(ROOT, 'services/processor/dist/main.js')], {
        env: {
          ...process.env,
          ...env(),
          KAFKA_BROKERS: BROKERS.join(','),
          PROCESSOR_PORT: '0',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const victim = spawnProcessor();
    const appliedAtKill = await waitFor(
      'some records applied',
      async () => {
        const n = await appliedRecords(pool, group, topic);
        return n > 0 ? n : undefined;
      },
      60_000,
      20,
    );
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    expect(appliedAtKill).toBeLessThan(events.length); // it died mid-run, with work left

    const successor = spawnProcessor();
    try {
      await drained(events.length);
    } finally {
      successor.kill('SIGTERM');
      await new Promise((resolve) => successor.once('exit', resolve));
    }
    await expectInvariants(events.length);
  });

  const cluster = localPostgresCluster();
  (cluster ? it : it.skip)(
    'rides out PostgreSQL being stopped for 30 s under load: nothing lost, nothing dead-lettered',
    async () => {
      if (!cluster) return;
      const events = readings(40_000);
      running.push(
        (await startTestProcessor({ ...env(), PROCESSOR_PAUSE_AFTER: '2s', PROCESSOR_RETRY_MAX: '2s' }))
          .processor,
      );
      const sending = publish(producer, topic, events, 500);
      await waitFor('processing under way', async () =>
        (await appliedRecords(pool, group, topic)) > 2_000 ? true : undefined,
      );
      execFileSync('pg_ctlcluster', [cluster.version, cluster.name, 'stop', '-m', 'fast']);
      try {
        await new Promise((r) => setTimeout(r, 30_000));
      } finally {
        ensureClusterRunning(cluster);
      }
      await sending;
      await drained(events.length);
      await expectInvariants(events.length);
    },
  );
});

function ensureClusterRunning(cluster: { version: string; name: string }): void {
  const status = execFileSync('pg_lsclusters', ['--no-header', cluster.version, cluster.name], {
    encoding: 'utf8',
  });
  if (!/online/.test(status)) execFileSync('pg_ctlcluster', [cluster.version, cluster.name, 'start']);
}

/** The local cluster scripts/infra.sh runs, when the tests use it (not an external DATABASE_URL). */
function localPostgresCluster(): { version: string; name: string } | undefined {
  const url = process.env.DATABASE_URL;
  if (url && !/@(127\.0\.0\.1|localhost)[:/]/.test(url)) return undefined;
  try {
    const line = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
      .split('\n')
      .find((l) => /online/.test(l));
    const [version, name] = line?.trim().split(/\s+/) ?? [];
    return version && name ? { version, name } : undefined;
  } catch {
    return undefined;
  }
}

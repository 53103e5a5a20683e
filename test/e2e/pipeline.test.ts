import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { parseEvent } from '@telemetry-pulse/shared';
import type { Processor } from '@telemetry-pulse/processor';
import {
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { aggregateMismatches, tableCounts } from '../support/invariants';
import { appliedRecords } from '../support/pipeline';
import { startTestProcessor } from '../support/processor';
import { runTestSimulator } from '../support/simulator';

const COUNT = 20_000;

/**
 * The whole pipeline: the simulator with every fault turned up (duplicates, late, out-of-order,
 * malformed, anomalies) into two processors sharing the partitions, checked against what was sent.
 */
describe('simulator -> Kafka -> processors -> PostgreSQL', () => {
  const kafka: Kafka = testKafka();
  const topic = uniqueName('e2e.events');
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('e2e-processor');
  let db: ScratchDatabase;
  let pool: pg.Pool;
  const processors: Processor[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });

  afterAll(async () => {
    await Promise.all(processors.map((p) => p.stop()));
    await pool.end();
    await db.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('stores every distinct valid reading once and dead-letters exactly the malformed messages', async () => {
    await runTestSimulator([
      ...['--count', String(COUNT), '--seed', '7', '--rate', '0', '--backfill', '6h', '--interval', '30s'],
      ...[
        '--duplicate-rate',
        '5%',
        '--late-rate',
        '3%',
        '--out-of-order-rate',
        '3%',
        '--malformed-rate',
        '4%',
      ],
      ...['--anomaly-rate', '5%', '--topic', topic, '--dlq-topic', dlqTopic, '--partitions', '6'],
    ]);
    const env = {
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: dlqTopic,
      PROCESSOR_GROUP_ID: group,
    };
    processors.push((await startTestProcessor(env)).processor, (await startTestProcessor(env)).processor);

    // What was sent, read back from the topic: distinct valid event ids and unparsable messages.
    const consumer = kafka.consumer({ groupId: uniqueName('e2e-reader') });
    const ids = new Set<string>();
    let invalid = 0;
    let read = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        read += 1;
        const parsed = parseEvent(message.value);
        if (parsed.ok) ids.add(parsed.event.eventId);
        else invalid += 1;
      },
    });
    await waitFor('the topic read back', async () => (read >= COUNT ? true : undefined), 60_000);
    await consumer.disconnect();

    await waitFor('both processors drained the topic', async () =>
      (await appliedRecords(pool, group, topic)) >= COUNT ? true : undefined,
    );
    const counts = await tableCounts(pool);
    expect(invalid).toBeGreaterThan(COUNT * 0.02); // the faults really were injected
    expect(ids.size).toBeLessThan(COUNT - invalid); // and so were duplicates
    expect(counts.raw).toBe(ids.size);
    expect(counts.distinctRaw).toBe(ids.size);
    expect(counts.deadLetters).toBe(invalid);
    expect(await aggregateMismatches(pool)).toEqual([]);
    const late = await pool.query(`SELECT count(*)::int AS n FROM raw_events WHERE lateness = 'late'`);
    expect(late.rows[0].n).toBeGreaterThan(0);
  });
});

import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import type { Processor } from '@telemetry-pulse/processor';
import { createScratchDatabase, testKafka, uniqueName, type ScratchDatabase } from './infra';
import { startTestProcessor } from './processor';

/**
 * What most processor integration tests start from: a scratch database, a fresh topic and its DLQ topic,
 * a connected producer and a pool, and a way to start an in-process processor on them. `close()` undoes
 * it all, whatever was started.
 */
export interface ProcessorFixture {
  readonly kafka: Kafka;
  readonly db: ScratchDatabase;
  readonly pool: pg.Pool;
  readonly producer: Producer;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly group: string;
  /** Starts a processor on the fixture's topic, group and database; `env` adds or overrides options. */
  startProcessor(env?: Record<string, string>): Promise<{ processor: Processor; opsPort: number }>;
  close(): Promise<void>;
}

export async function openProcessorFixture(opts: {
  prefix: string;
  partitions: number;
  /** Topic-level configuration of the DLQ topic, e.g. a small `max.message.bytes`. */
  dlqTopicConfig?: Readonly<Record<string, string>>;
}): Promise<ProcessorFixture> {
  const kafka = testKafka();
  const topic = uniqueName(`it.${opts.prefix}`);
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName(`it-${opts.prefix}`);
  const db = await createScratchDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: opts.partitions },
      {
        topic: dlqTopic,
        numPartitions: 1,
        configEntries: Object.entries(opts.dlqTopicConfig ?? {}).map(([name, value]) => ({ name, value })),
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const processors: Processor[] = [];

  return {
    kafka,
    db,
    pool,
    producer,
    topic,
    dlqTopic,
    group,
    async startProcessor(env = {}) {
      const started = await startTestProcessor({
        DATABASE_URL: db.url,
        PROCESSOR_TOPIC: topic,
        PROCESSOR_DLQ_TOPIC: dlqTopic,
        PROCESSOR_GROUP_ID: group,
        PROCESSOR_TOPIC_PARTITIONS: String(opts.partitions),
        ...env,
      });
      processors.push(started.processor);
      return started;
    },
    async close() {
      await Promise.all(processors.splice(0).map((p) => p.stop()));
      await producer.disconnect();
      await pool.end();
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
      await a.disconnect();
      await db.drop();
    },
  };
}

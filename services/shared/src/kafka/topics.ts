import type { Kafka } from 'kafkajs';
import type { Logger } from '../log';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * Creates the topics that do not exist yet; existing topics are left as they are (a smaller partition
 * count than asked is reported, never "fixed", since repartitioning moves keys).
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly TopicSpec[],
  logger: Logger,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? -1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      logger.info({ topics: missing.map((t) => t.topic) }, 'created topics');
    }
    const present = topics.filter((t) => existing.has(t.topic));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
      for (const t of meta.topics) {
        const wanted = present.find((p) => p.topic === t.name)?.partitions ?? 0;
        if (t.partitions.length < wanted) {
          logger.warn(
            { topic: t.name, partitions: t.partitions.length, wanted },
            'topic has fewer partitions than configured',
          );
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

import type { Kafka } from 'kafkajs';
import type { Logger } from '../log';
import { consumerLag } from './consumer-lag';

export interface PartitionLag {
  readonly partition: number;
  readonly lag: number;
}

export interface ConsumerLagReader {
  /**
   * Per partition of `topic`: high watermark minus the group's committed offset (never below zero). A topic
   * that does not exist has no partitions: an empty list, at once.
   */
  read(groupId: string, topic: string): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/**
 * Consumer lag as the broker sees it: the group's committed offsets (`fetchOffsets`) against the topic's
 * watermarks (`fetchTopicOffsets`), through one lazily connected admin client.
 */
export function createConsumerLagReader(kafka: Kafka, logger: Logger): ConsumerLagReader {
  const log = logger.child({ component: 'consumer-lag' });
  const admin = kafka.admin();
  // One admin connection, made on the first read.
  let connecting: Promise<void> | undefined;
  const connect = (): Promise<void> =>
    (connecting ??= admin.connect().catch((err: unknown) => {
      connecting = undefined; // the next refresh tries again
      throw err;
    }));

  return {
    async read(groupId, topic) {
      await connect();
      // Asking offsets of a missing topic makes kafkajs retry for long; ask whether it exists first.
      if (!(await admin.listTopics()).includes(topic)) return [];
      const [watermarks, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const applied = new Map<number, number>();
      for (const p of committed.find((t) => t.topic === topic)?.partitions ?? []) {
        applied.set(p.partition, Number(p.offset));
      }
      return consumerLag(
        watermarks.map((w) => ({ partition: w.partition, high: Number(w.high), low: Number(w.low) })),
        applied,
      );
    },
    async close() {
      if (!connecting) return;
      await admin.disconnect().catch((err: unknown) => log.warn({ err }, 'admin disconnect failed'));
    },
  };
}

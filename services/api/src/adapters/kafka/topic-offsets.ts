import type { createKafkaClient, Logger } from '@telemetry-pulse/shared';
import type { TopicOffsets } from '../../domain/stores';

type Kafka = ReturnType<typeof createKafkaClient>;

export interface KafkaTopicOffsets extends TopicOffsets {
  close(): Promise<void>;
}

/**
 * High watermarks from the broker through one lazily connected kafkajs admin client. Each call is bounded
 * by `timeoutMs`: a status page must answer while Kafka is down, just without the lag.
 */
export function createKafkaTopicOffsets(kafka: Kafka, logger: Logger, timeoutMs: number): KafkaTopicOffsets {
  const log = logger.child({ component: 'topic-offsets' });
  const admin = kafka.admin();
  let connecting: Promise<void> | undefined;

  const connect = (): Promise<void> =>
    (connecting ??= admin.connect().catch((err: unknown) => {
      connecting = undefined; // the next call tries again
      throw err;
    }));

  // kafkajs retries an unknown topic for many seconds (logging each try); a missing topic is an answer.
  async function fetch(topic: string) {
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist yet`);
    return admin.fetchTopicOffsets(topic);
  }

  return {
    async highWatermarks(topic) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const offsets = await Promise.race([connect().then(() => fetch(topic)), deadline]);
        return offsets.map((o) => ({ partition: o.partition, high: Number(o.high), low: Number(o.low) }));
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (!connecting) return;
      // Not waiting for a connect still retrying against a dead broker: disconnect ends it.
      await admin.disconnect().catch((err: unknown) => log.warn({ err }, 'admin disconnect failed'));
    },
  };
}

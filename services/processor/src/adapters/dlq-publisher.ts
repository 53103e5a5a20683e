import type { MessageProducer } from '@telemetry-pulse/shared';
import { DLQ_HEADERS } from '../domain/dlq-headers';
import type { DeadLetterRow } from './postgres/dead-letters';

export { DLQ_HEADERS };

/**
 * Publishes dead letters with the original key and bytes, and headers naming the error and origin.
 * Resolves only when the dead-letter topic acknowledged them (acks=all).
 */
export async function publishDeadLetters(
  producer: MessageProducer,
  dlqTopic: string,
  origin: { topic: string; partition: number; group: string },
  rows: readonly DeadLetterRow[],
  inheritedHeaders: (offset: string) => Readonly<Record<string, Buffer | string | undefined>> = () => ({}),
): Promise<void> {
  if (rows.length === 0) return;
  await producer.send(
    dlqTopic,
    rows.map((r) => {
      const headers: Record<string, string | Buffer> = {};
      for (const [name, value] of Object.entries(inheritedHeaders(r.offset))) {
        if (value !== undefined) headers[name] = value;
      }
      Object.assign(headers, {
        [DLQ_HEADERS.errorCode]: r.errorCode,
        [DLQ_HEADERS.errorMessage]: r.errorMessage,
        [DLQ_HEADERS.originalTopic]: origin.topic,
        [DLQ_HEADERS.originalPartition]: String(origin.partition),
        [DLQ_HEADERS.originalOffset]: r.offset,
        [DLQ_HEADERS.originalTimestamp]: new Date(r.timestampMs).toISOString(),
        [DLQ_HEADERS.consumerGroup]: origin.group,
        [DLQ_HEADERS.attempts]: String(r.attempts),
      });
      return { key: r.key, value: r.value, headers };
    }),
  );
}

import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '@telemetry-pulse/shared';
import type { DeadLetter } from '../domain/dead-letter';
import { DlqToolError, kafkaFailure } from '../domain/errors';
import { readBounded } from './kafka-read';
import type { BatchVerdict, DlqSource, PartitionOffsets, ReadRange } from '../domain/source';

export interface KafkaDlqSourceOptions {
  readonly topic: string;
  /** Fail when reading makes no progress for this long. */
  readonly readTimeoutMs: number;
  /** Ctrl-C: stop reading after the batch in hand (cleanup still runs). */
  readonly signal?: AbortSignal;
  /** As configured, for "cannot reach" messages. */
  readonly brokers: readonly string[];
  /** One line to stderr when connecting is slow: kafkajs retries an unreachable broker for ~30 s. */
  readonly notice: (line: string) => void;
  readonly logger: Logger;
}

const SLOW_CONNECT_MS = 3_000;
// Bounds a fetched batch, and so one replay send: well under the broker's 1 MiB default message.max.bytes.
const MAX_BYTES_PER_PARTITION = 256 * 1024;

/**
 * Reads the DLQ with a consumer in a fresh, random group that never commits, and deletes the group on
 * close: kafkajs has no assign(), and a durable group would make the next run skip what this one saw.
 */
export function createKafkaDlqSource(kafka: Kafka, opts: KafkaDlqSourceOptions): DlqSource {
  const { topic, brokers, logger } = opts;
  const log = logger.child({ component: 'dlq-source', topic });
  const groups: string[] = [];
  let admin: Admin | undefined;
  let topicNames: ReadonlySet<string> | undefined;
  let closing: Promise<void> | undefined;

  const guarded = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof DlqToolError ? err : kafkaFailure(what, err, brokers);
    }
  };

  async function connectedAdmin(): Promise<Admin> {
    if (admin) return admin;
    const a = kafka.admin();
    const slow = setTimeout(
      () => opts.notice(`waiting for Kafka at ${brokers.join(',')} (KAFKA_BROKERS)…`),
      SLOW_CONNECT_MS,
    );
    try {
      await guarded('connecting to Kafka', () => a.connect());
    } finally {
      clearTimeout(slow);
    }
    admin = a;
    return a;
  }

  async function topics(): Promise<ReadonlySet<string>> {
    const a = await connectedAdmin();
    topicNames ??= new Set(await guarded('listing topics', () => a.listTopics()));
    return topicNames;
  }

  async function partitions(): Promise<readonly PartitionOffsets[]> {
    if (!(await topics()).has(topic)) {
      throw new DlqToolError(`DLQ topic ${topic} does not exist (check --dlq-topic / PROCESSOR_DLQ_TOPIC)`);
    }
    const a = await connectedAdmin();
    const offsets = await guarded(`fetching the offsets of ${topic}`, () => a.fetchTopicOffsets(topic));
    return offsets
      .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
      .sort((x, y) => x.partition - y.partition);
  }

  async function read(
    ranges: readonly ReadRange[],
    onBatch: (letters: readonly DeadLetter[]) => Promise<BatchVerdict>,
  ): Promise<void> {
    if (opts.signal?.aborted) return;
    const groupId = `telemetry-dlq-${randomUUID()}`;
    groups.push(groupId);
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    });
    await guarded('connecting the DLQ reader', () => consumer.connect());
    try {
      await readBounded(consumer, {
        topic,
        ranges,
        onBatch,
        readTimeoutMs: opts.readTimeoutMs,
        signal: opts.signal,
        brokers,
        log: log.child({ groupId }),
      });
    } finally {
      await consumer.disconnect().catch((err: unknown) => log.warn({ err }, 'reader disconnect failed'));
    }
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      if (groups.length > 0) {
        // A group that never committed may already be gone (GROUP_ID_NOT_FOUND): nothing left behind.
        await connectedAdmin()
          .then((a) => a.deleteGroups(groups))
          .catch((err: unknown) => log.warn({ err, groups }, 'could not delete the reader groups'));
      }
      await admin?.disconnect();
    })();
    return closing;
  }

  return { partitions, topics, read, close };
}

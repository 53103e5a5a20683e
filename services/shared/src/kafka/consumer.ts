import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../log';
import { withBatchSpan } from '../telemetry';

/** One record as handed to a batch handler, independent of the client library. */
export interface ConsumedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  readonly timestampMs: number;
}

/** A fetched batch of one partition and what the handler may do while working on it. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** Offset the next produced record will get: `highWatermark - lastOffset - 1` is the lag after this batch. */
  readonly highWatermark: string;
  /** Keeps the group membership alive during long work; throws when a rebalance took the partition. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was re-assigned: abandon without committing. */
  isActive(): boolean;
  /** Stops fetching this partition (e.g. while the database is down) until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Marks every record up to `lastOffset` done and commits `lastOffset + 1` to the group. */
  commit(lastOffset: string): Promise<void>;
}

export interface Assignment {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface BatchConsumer {
  /** Joins the group and calls `handler` for each batch, up to `concurrency` partitions at a time. */
  start(handler: (batch: ConsumedBatch) => Promise<void>): Promise<void>;
  /** Finishes the batches in flight, then leaves the group. Idempotent. */
  stop(): Promise<void>;
  /** Partitions assigned to this member now (empty before joining and after a crash). */
  assignment(): Assignment[];
  /** True between joining the group and stopping or crashing. */
  isMember(): boolean;
}

export interface BatchConsumerOptions {
  readonly groupId: string;
  readonly topic: string;
  /** Where a group with no committed offset starts. */
  readonly fromBeginning: boolean;
  /** Partitions processed at once by this member. */
  readonly concurrency: number;
  /** Upper bound on bytes fetched per partition per request (shapes batch size). */
  readonly maxBytesPerPartition: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

/**
 * kafkajs consumer behind {@link BatchConsumer}: manual offset management only (no auto-commit, no
 * auto-resolve), so an offset is committed exactly when the handler says its work is durable.
 */
export function createKafkaBatchConsumer(
  kafka: Kafka,
  opts: BatchConsumerOptions,
  logger: Logger,
): BatchConsumer {
  const log = logger.child({ component: 'consumer', groupId: opts.groupId });
  const consumer: Consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeoutMs,
    heartbeatInterval: opts.heartbeatIntervalMs,
    maxBytesPerPartition: opts.maxBytesPerPartition,
    maxBytes: opts.maxBytesPerPartition * Math.max(opts.concurrency, 1) * 2,
    allowAutoTopicCreation: false,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  let assigned: Assignment[] = [];
  let member = false;
  let stopping: Promise<void> | undefined;

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    member = true;
    assigned = Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({
      topic,
      partitions,
    }));
    log.info({ assignment: assigned }, 'joined group');
  });
  consumer.on(consumer.events.REBALANCING, () => log.info('group rebalancing'));
  consumer.on(consumer.events.CRASH, (e) => {
    member = false;
    assigned = [];
    log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
  });
  consumer.on(consumer.events.STOP, () => {
    member = false;
    assigned = [];
  });

  return {
    assignment: () => assigned,
    isMember: () => member,
    async start(handler) {
      await consumer.connect();
      await consumer.subscribe({ topics: [opts.topic], fromBeginning: opts.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.concurrency,
        eachBatch: async ({
          batch,
          heartbeat,
          isRunning,
          isStale,
          resolveOffset,
          commitOffsetsIfNecessary,
          pause,
        }) => {
          let resumeFn: (() => void) | undefined;
          const consumed: ConsumedBatch = {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages.map((m) => ({
              offset: m.offset,
              key: m.key ?? null,
              value: m.value ?? null,
              headers: (m.headers ?? {}) as Record<string, Buffer | string | undefined>,
              timestampMs: Number(m.timestamp),
            })),
            heartbeat,
            isActive: () => isRunning() && !isStale(),
            pause: () => {
              resumeFn ??= pause();
            },
            resume: () => {
              resumeFn?.();
              resumeFn = undefined;
            },
            async commit(lastOffset) {
              resolveOffset(lastOffset);
              const next = (BigInt(lastOffset) + 1n).toString();
              await commitOffsetsIfNecessary({
                topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
              });
            },
          };
          // The handler's work (database writes, dead letters) runs inside one CONSUMER span per batch,
          // linked to the producers' contexts carried in the records' headers.
          const { topic, partition, records } = consumed;
          await withBatchSpan({ topic, partition, consumerGroup: opts.groupId, records }, () =>
            handler(consumed),
          );
        },
      });
    },
    stop() {
      stopping ??= (async () => {
        await consumer.disconnect();
        member = false;
        assigned = [];
        log.info('left group');
      })();
      return stopping;
    },
  };
}

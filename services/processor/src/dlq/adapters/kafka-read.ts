import type { Consumer } from 'kafkajs';
import { formatDurationMs } from '@telemetry-pulse/shared/core';
import type { Logger } from '@telemetry-pulse/shared';
import type { DeadLetter } from '../domain/dead-letter';
import { DlqToolError, kafkaFailure } from '../domain/errors';
import { toDeadLetter } from './kafka-record';
import type { BatchVerdict, ReadRange } from '../domain/source';

const WATCHDOG_EVERY_MS = 500;

export interface BoundedReadOptions {
  readonly topic: string;
  readonly ranges: readonly ReadRange[];
  readonly onBatch: (letters: readonly DeadLetter[]) => Promise<BatchVerdict>;
  /** Fail when no partition's position moves for this long. */
  readonly readTimeoutMs: number;
  /** Aborting stops after the batch in hand, as if `onBatch` had answered `stop`. */
  readonly signal: AbortSignal | undefined;
  readonly brokers: readonly string[];
  readonly log: Logger;
}

/**
 * Runs a connected consumer (in a group of its own) over `ranges` and resolves once every range is read
 * to its end offset, `onBatch` says stop or the signal aborts; rejects on a stall, a crash or an `onBatch`
 * error. Never settles while `onBatch` runs, so the caller never tears down a send in flight.
 */
export function readBounded(consumer: Consumer, o: BoundedReadOptions): Promise<void> {
  // next: the first offset not yet handed over, so a re-fetched or pre-seek batch is never delivered twice.
  const pending = new Map<number, { next: bigint; to: bigint }>();
  for (const r of o.ranges) {
    if (BigInt(r.from) < BigInt(r.to)) pending.set(r.partition, { next: BigInt(r.from), to: BigInt(r.to) });
  }
  if (pending.size === 0 || o.signal?.aborted) return Promise.resolve();

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let busy = false; // inside onBatch: a slow send is not a stalled broker
    let stopAfterBatch = false;
    let lastProgress = Date.now();

    const watchdog = setInterval(() => {
      if (busy || Date.now() - lastProgress < o.readTimeoutMs) return;
      const left = [...pending].map(([p, r]) => `partition ${p} at ${r.next} of ${r.to}`).join(', ');
      const idle = formatDurationMs(o.readTimeoutMs);
      settle(new DlqToolError(`no progress reading ${o.topic} for ${idle} (${left}); check the broker`));
    }, WATCHDOG_EVERY_MS);
    const onAbort = (): void => {
      if (busy) stopAfterBatch = true;
      else settle();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const removeCrash = consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) settle(kafkaFailure(`reading ${o.topic}`, e.payload.error, o.brokers));
    });
    // Also fires for batches kafkajs filtered to nothing (control records, compaction), whose offsets
    // eachBatch never sees, so a partition ending in such a batch still counts as read.
    const removeEnd = consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      advance(e.payload.partition, e.payload.lastOffset);
    });

    function settle(err?: unknown): void {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      o.signal?.removeEventListener('abort', onAbort);
      removeCrash();
      removeEnd();
      if (err === undefined) resolve();
      else reject(err);
    }

    function advance(partition: number, lastOffset: string): void {
      const range = pending.get(partition);
      const after = BigInt(lastOffset) + 1n;
      if (!range || after <= range.next) return;
      // Progress is a position that moved: batches that keep arriving without moving it are a stall too.
      lastProgress = Date.now();
      range.next = after;
      if (range.next >= range.to) pending.delete(partition);
      if (pending.size === 0) settle();
    }

    const start = async (): Promise<void> => {
      await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
      await consumer.run({
        // Auto-resolve only moves the in-memory fetch position; with autoCommit off nothing is committed.
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, pause }) => {
          const range = pending.get(batch.partition);
          if (settled || !range) {
            pause(); // finished with (or never asked for) this partition: stop fetching it
            return;
          }
          const letters = batch.messages
            .filter((m) => BigInt(m.offset) >= range.next && BigInt(m.offset) < range.to)
            .map((m) => toDeadLetter(batch.partition, m));
          let verdict: BatchVerdict = 'more';
          if (letters.length > 0) {
            busy = true;
            try {
              verdict = await o.onBatch(letters);
            } catch (err) {
              // Settled rather than thrown: kafkajs would retry the batch, and a replay would send it twice.
              settle(err);
              return;
            } finally {
              busy = false;
            }
          }
          if (verdict === 'stop' || stopAfterBatch) settle();
          else advance(batch.partition, batch.lastOffset());
        },
      });
      // run() has joined the group; seeking now places each partition before its first fetch.
      for (const r of o.ranges) {
        if (pending.has(r.partition))
          consumer.seek({ topic: o.topic, partition: r.partition, offset: r.from });
      }
      o.log.debug({ ranges: o.ranges }, 'reading');
    };
    start().catch((err: unknown) => settle(kafkaFailure(`reading ${o.topic}`, err, o.brokers)));
  });
}

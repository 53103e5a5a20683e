import type { ConsumedBatch, ConsumedRecord, MessageProducer, Pool } from '@telemetry-pulse/shared';
import { applyBatch, mergeOutcomes, type ApplyDeps, type BatchOutcome } from './apply-batch';
import { publishDeadLetters } from './adapters/dlq-publisher';
import {
  markDeadLetterRefused,
  markDeadLettersPublished,
  unpublishedDeadLetters,
} from './adapters/postgres/dead-letters';
import {
  createPartitionPolicy,
  describeError,
  isBatchFailure,
  type PartitionPolicyDeps,
} from './partition-policy';
import { applyIsolating, type StepResult } from './domain/isolate';
import { validateRecords, type RejectedRecord, type ValidReading } from './domain/plan-batch';
import { createStuckPartitions, type StuckPartition, type StuckPartitions } from './stuck-partitions';

export interface HandlerDeps extends ApplyDeps, PartitionPolicyDeps {
  readonly pool: Pool;
  readonly dlqProducer: MessageProducer;
  readonly group: string;
  readonly dlqTopic: string;
  readonly maxFutureSkewMs: number;
}

export interface BatchHandler {
  handle(batch: ConsumedBatch): Promise<void>;
  /** Partitions whose batch failed (not transiently) and has not been applied since; for /readyz. */
  stuckPartitions(): StuckPartition[];
}

/**
 * Handles one partition batch end to end: validate; apply in one transaction (retrying transient
 * failures with backoff, pausing the partition during a long outage, heartbeating all along); publish
 * the batch's dead letters and wait for their acknowledgement; only then commit the Kafka offset.
 * If the member stops or loses the partition first, it returns without committing: the next owner
 * re-reads the batch and the stored progress makes that harmless. A batch that fails for another reason
 * (a bug) is given back and retried after a pause, so the other partitions keep flowing; after
 * `failedBatchAttempts` failures its failing records are isolated and dead-lettered (PROCESSING_FAILED).
 */
export function createBatchHandler(
  deps: HandlerDeps,
  stuck: StuckPartitions = createStuckPartitions((n) => deps.metrics.stuckPartitions.set(n)),
): BatchHandler {
  const now = deps.now ?? Date.now;
  const { metrics } = deps;
  const policy = createPartitionPolicy(deps);

  /** One transaction over `slice` (inclusive offsets), transient failures retried; undefined = abandon. */
  function applySlice(
    batch: ConsumedBatch,
    slice: readonly ConsumedRecord[],
    valid: readonly ValidReading[],
    rejected: readonly RejectedRecord[],
    attempt?: number,
  ): Promise<BatchOutcome | undefined> {
    const first = slice[0];
    const last = slice[slice.length - 1];
    if (!first || !last) throw new Error('applySlice needs at least one record');
    return policy.retrying(batch, 'apply batch', async (retry) => {
      const endTimer = metrics.txDuration.startTimer();
      try {
        const result = await applyBatch(deps, {
          group: deps.group,
          topic: batch.topic,
          partition: batch.partition,
          firstOffset: first.offset,
          lastOffset: last.offset,
          highWatermark: batch.highWatermark,
          valid,
          rejected,
          attempt: attempt ?? retry,
        });
        endTimer({ outcome: 'commit' });
        return result;
      } catch (err) {
        endTimer({ outcome: 'rollback' });
        throw err;
      }
    });
  }

  /**
   * After `failedBatchAttempts` failures: applies the batch in halves, down to single records, and
   * dead-letters each record that still fails alone as PROCESSING_FAILED, in its own transaction with the
   * progress past it (nothing lost, nothing applied twice). Undefined when the batch must be abandoned.
   */
  async function isolate(
    batch: ConsumedBatch,
    valid: readonly ValidReading[],
    rejected: readonly RejectedRecord[],
    attempts: number,
  ): Promise<{ outcome: BatchOutcome; isolated: number } | undefined> {
    const outcomes: BatchOutcome[] = [];
    let isolated = 0;
    const step = (o: BatchOutcome | undefined): StepResult => {
      if (!o) return 'abandon';
      outcomes.push(o);
      return 'done';
    };
    const result = await applyIsolating(
      batch.records,
      isBatchFailure,
      async (slice) => {
        const offsets = new Set(slice.map((r) => r.offset));
        return step(
          await applySlice(
            batch,
            slice,
            valid.filter((v) => offsets.has(v.offset)),
            rejected.filter((r) => offsets.has(r.record.offset)),
          ),
        );
      },
      async (record, failure) => {
        const where = { topic: batch.topic, partition: batch.partition, offset: record.offset };
        const err = failure.cause;
        const reason = describeError(err);
        deps.logger.error({ ...where, err, attempts }, 'record keeps failing its batch; dead-lettering it');
        const letter = (r: ConsumedRecord, why: string): Promise<BatchOutcome | undefined> =>
          applySlice(batch, [r], [], [{ record: r, code: 'PROCESSING_FAILED', reason: why }], attempts);
        let outcome: BatchOutcome | undefined;
        try {
          outcome = await letter(record, reason);
        } catch (letterErr) {
          if (!isBatchFailure(letterErr)) throw letterErr;
          // The dead letter itself cannot be written with the record's bytes: keep the row without them.
          const why = describeError(letterErr.cause);
          deps.logger.error(
            { ...where, err: letterErr.cause },
            'dead letter not storable with its bytes; storing it without',
          );
          outcome = await letter(
            { ...record, key: null, value: null },
            `${reason}; its key and value could not be stored with it (${why}): read them at this offset of the topic`,
          );
        }
        if (outcome && !outcome.alreadyApplied) isolated += 1;
        return step(outcome);
      },
    );
    if (result === 'abandon') return undefined;
    return { outcome: mergeOutcomes(outcomes), isolated };
  }

  /** Counts a failed attempt, marks the partition stuck for /readyz and gives the batch back for a backoff. */
  function failed(batch: ConsumedBatch, err: unknown, attempts: number): void {
    const first = batch.records[0]?.offset ?? '';
    metrics.batchFailures.inc();
    stuck.mark({
      topic: batch.topic,
      partition: batch.partition,
      offset: first,
      attempts,
      error: describeError(err),
      sinceMs: stuck.get(batch.topic, batch.partition)?.sinceMs ?? now(),
    });
    const delayMs = policy.giveBack(batch, attempts);
    deps.logger.error(
      {
        err,
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: first,
        attempts,
        isolateAfter: deps.failedBatchAttempts,
        retryInMs: delayMs,
      },
      'batch failed (not a transient failure); the partition waits and tries again, the others go on',
    );
  }

  async function handle(batch: ConsumedBatch): Promise<void> {
    const records = batch.records;
    if (records.length === 0) return;
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) return;
    const startedAt = now();
    const before = stuck.get(batch.topic, batch.partition);
    const attempts = (before?.offset === first.offset ? before.attempts : 0) + 1;
    if (attempts === 1) {
      metrics.consumed.inc(records.length);
      metrics.batchSize.observe(records.length);
    }
    const { valid, rejected } = validateRecords(records, now(), deps.maxFutureSkewMs);

    let outcome: BatchOutcome | undefined;
    try {
      let isolated = 0;
      if (policy.modeOf(attempts) === 'whole') {
        outcome = await applySlice(batch, records, valid, rejected);
      } else {
        deps.logger.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            firstOffset: first.offset,
            attempts: attempts - 1,
          },
          'batch failed every attempt; applying it in parts to find the failing records',
        );
        const result = await isolate(batch, valid, rejected, attempts - 1);
        outcome = result?.outcome;
        isolated = result?.isolated ?? 0;
      }
      if (!outcome) return; // stopping or partition lost: nothing committed, the next owner redoes it
      // A dead letter and the progress past it are stored together, so when every record was new and none
      // was rejected or isolated there is none to publish; otherwise (a redelivery included) look.
      const mayHaveDeadLetters = rejected.length > 0 || isolated > 0 || outcome.skippedRecords > 0;
      if (mayHaveDeadLetters) {
        const published = await policy.retrying(batch, 'publish dead letters', () =>
          publishPending(batch, last.offset),
        );
        if (!published) return;
      }
    } catch (err) {
      if (!isBatchFailure(err)) throw err; // the partition or the group was lost: kafkajs handles that
      failed(batch, err.cause, attempts);
      return;
    }
    if (outcome.abandonedOffset !== null) {
      deps.logger.error(
        {
          topic: batch.topic,
          partition: batch.partition,
          storedNextOffset: outcome.abandonedOffset,
          supersededDeadLetters: outcome.supersededDeadLetters,
          highWatermark: batch.highWatermark,
          firstOffset: first.offset,
        },
        "the partition ends before the offset this group had applied: the topic was recreated or truncated; applying its records from here (the old log's dead letters moved to dead_letters_superseded)",
      );
    }
    await batch.commit(last.offset);
    stuck.clear(batch.topic, batch.partition);
    record(outcome, batch);
    metrics.batchDuration.observe((now() - startedAt) / 1000);
  }

  /**
   * Publishes the partition's pending dead letters up to `lastOffset` and marks them published; one the
   * dead-letter topic refuses (too large for it, invalid) is marked refused, with an error log naming it,
   * so the partition moves on. Other failures are thrown (and retried when transient).
   */
  async function publishPending(batch: ConsumedBatch, lastOffset: string): Promise<true> {
    const { group } = deps;
    const pending = await unpublishedDeadLetters(deps.pool, group, batch.topic, batch.partition, lastOffset);
    const headersByOffset = new Map(batch.records.map((r) => [r.offset, r.headers]));
    const { published, refused } = await publishDeadLetters(
      deps.dlqProducer,
      deps.dlqTopic,
      { topic: batch.topic, partition: batch.partition, group },
      pending,
      (offset) => headersByOffset.get(offset) ?? {},
    );
    const offsets = published.map((p) => p.offset);
    await markDeadLettersPublished(deps.pool, group, batch.topic, batch.partition, offsets);
    for (const p of published) metrics.deadLettered.inc({ code: p.errorCode });
    for (const { row, error } of refused) {
      await markDeadLetterRefused(deps.pool, group, batch.topic, batch.partition, row.offset, error);
      metrics.deadLettersRefused.inc({ code: row.errorCode });
      deps.logger.error(
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: row.offset,
          code: row.errorCode,
          valueBytes: row.value?.length ?? 0,
          dlqTopic: deps.dlqTopic,
          error,
        },
        'the dead-letter topic refused this dead letter; it stays in dead_letters (publish_error) and the partition moves on',
      );
    }
    return true;
  }

  return { handle, stuckPartitions: () => stuck.list() };

  function record(o: BatchOutcome, batch: ConsumedBatch): void {
    metrics.stored.inc(o.stored);
    metrics.duplicates.inc(o.duplicates);
    metrics.skippedReplayed.inc(o.skippedRecords);
    if (o.late) metrics.late.inc({ lateness: 'late' }, o.late);
    if (o.tooLate) metrics.late.inc({ lateness: 'too_late' }, o.tooLate);
    if (o.expired) metrics.expired.inc(o.expired);
    metrics.windowRevisions.inc(o.revisions);
    for (const t of o.alerts.transitions) metrics.alertTransitions.inc({ rule: t.ruleId, action: t.type });
    const partition = String(batch.partition);
    if (o.watermarkMs !== null) metrics.watermarkLag.set({ partition }, (now() - o.watermarkMs) / 1000);
    // Consumer lag comes from the admin API on the maintenance timer (app.ts), not from this batch.
  }
}

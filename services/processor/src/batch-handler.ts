import type { ConsumedBatch, Logger, MessageProducer, Pool } from '@telemetry-pulse/shared';
import { applyBatch, type ApplyDeps, type BatchOutcome } from './apply-batch';
import { publishDeadLetters } from './adapters/dlq-publisher';
import { markDeadLettersPublished, unpublishedDeadLetters } from './adapters/postgres/dead-letters';
import { backoffMs, classifyFailure } from './domain/failures';
import { validateRecords } from './domain/plan-batch';
import type { ProcessorMetrics } from './metrics';

export interface HandlerDeps extends ApplyDeps {
  readonly pool: Pool;
  readonly dlqProducer: MessageProducer;
  readonly metrics: ProcessorMetrics;
  readonly logger: Logger;
  readonly group: string;
  readonly dlqTopic: string;
  readonly maxFutureSkewMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly pauseAfterMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often the group is told this member is alive while a batch's work runs (default 1 s). */
  readonly heartbeatEveryMs?: number;
}

/**
 * Handles one partition batch end to end: validate; apply in one transaction (retrying transient
 * failures with backoff, pausing the partition during a long outage, heartbeating all along); publish
 * the batch's dead letters and wait for their acknowledgement; only then commit the Kafka offset.
 * If the member stops or loses the partition first, it returns without committing: the next owner
 * re-reads the batch and the stored progress makes that harmless.
 */
export function createBatchHandler(deps: HandlerDeps): (batch: ConsumedBatch) => Promise<void> {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { metrics } = deps;
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 1_000;

  /**
   * Runs `work` while heartbeating on a timer: kafkajs only heartbeats between batches or when asked, so a
   * database slower than the session timeout would otherwise cost the membership mid-transaction, and the
   * partition's next owner would read the batch again (and so on, batch after batch). A failed heartbeat
   * (rebalance under way) is left to the commit and `isActive()`, which already handle a lost partition.
   */
  async function heartbeating<T>(batch: ConsumedBatch, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      batch.heartbeat().catch(() => undefined);
    }, heartbeatEveryMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** Waits `ms` while keeping the group membership alive; false when the batch must be abandoned. */
  async function waitActive(batch: ConsumedBatch, ms: number): Promise<boolean> {
    const until = now() + ms;
    while (batch.isActive()) {
      await batch.heartbeat();
      const left = until - now();
      if (left <= 0) return true;
      await sleep(Math.min(left, heartbeatEveryMs));
    }
    return false;
  }

  /** Runs `fn` until it succeeds; transient failures are retried, others rethrown. */
  async function retrying<T>(
    batch: ConsumedBatch,
    what: string,
    fn: (attempt: number) => Promise<T>,
  ): Promise<T | undefined> {
    const started = now();
    let paused = false;
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await heartbeating(batch, () => fn(attempt));
        } catch (err) {
          if (classifyFailure(err) === 'fatal') throw err;
          metrics.retries.inc();
          const log = attempt === 1 || attempt % 10 === 0 ? deps.logger.warn : deps.logger.debug;
          log.call(
            deps.logger,
            { err, partition: batch.partition, attempt, what },
            'transient failure; retrying',
          );
          if (!paused && now() - started >= deps.pauseAfterMs) {
            batch.pause();
            paused = true;
            metrics.pausedPartitions.inc();
            deps.logger.warn(
              { partition: batch.partition, what },
              'partition paused until the failure clears',
            );
          }
          const alive = await waitActive(
            batch,
            backoffMs(attempt, deps.retryBaseMs, deps.retryMaxMs, random),
          );
          if (!alive) return undefined;
        }
      }
    } finally {
      if (paused) {
        batch.resume();
        metrics.pausedPartitions.dec();
        deps.logger.info({ partition: batch.partition, what }, 'partition resumed');
      }
    }
  }

  return async (batch) => {
    const records = batch.records;
    if (records.length === 0) return;
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) return;
    const startedAt = now();
    metrics.consumed.inc(records.length);
    metrics.batchSize.observe(records.length);
    const { valid, rejected } = validateRecords(records, now(), deps.maxFutureSkewMs);

    const outcome = await retrying(batch, 'apply batch', async (attempt) => {
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
          attempt,
        });
        endTimer({ outcome: 'commit' });
        return result;
      } catch (err) {
        endTimer({ outcome: 'rollback' });
        throw err;
      }
    });
    if (!outcome) return; // stopping or partition lost: nothing committed, the next owner redoes it
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

    // Dead letters can only be pending for offsets of this batch (an unpublished one keeps its batch's
    // offset uncommitted, so the batch comes back): no rejected record, nothing to look up.
    const published =
      rejected.length === 0
        ? []
        : await retrying(batch, 'publish dead letters', async () => {
            const pending = await unpublishedDeadLetters(
              deps.pool,
              deps.group,
              batch.topic,
              batch.partition,
              last.offset,
            );
            const headersByOffset = new Map(records.map((r) => [r.offset, r.headers]));
            await publishDeadLetters(
              deps.dlqProducer,
              deps.dlqTopic,
              { topic: batch.topic, partition: batch.partition, group: deps.group },
              pending,
              (offset) => headersByOffset.get(offset) ?? {},
            );
            await markDeadLettersPublished(
              deps.pool,
              deps.group,
              batch.topic,
              batch.partition,
              pending.map((p) => p.offset),
            );
            return pending;
          });
    if (!published) return;
    for (const p of published) metrics.deadLettered.inc({ code: p.errorCode });

    await batch.commit(last.offset);
    record(outcome, batch);
    metrics.batchDuration.observe((now() - startedAt) / 1000);
  };

  function record(o: BatchOutcome, batch: ConsumedBatch): void {
    metrics.stored.inc(o.stored);
    metrics.duplicates.inc(o.duplicates);
    metrics.skippedReplayed.inc(o.skippedRecords);
    if (o.late) metrics.late.inc({ lateness: 'late' }, o.late);
    if (o.tooLate) metrics.late.inc({ lateness: 'too_late' }, o.tooLate);
    metrics.windowRevisions.inc(o.revisions);
    for (const t of o.alerts.transitions) metrics.alertTransitions.inc({ rule: t.ruleId, action: t.type });
    const partition = String(batch.partition);
    if (o.watermarkMs !== null) metrics.watermarkLag.set({ partition }, (now() - o.watermarkMs) / 1000);
    // Consumer lag comes from the admin API on the maintenance timer (app.ts), not from this batch.
  }
}

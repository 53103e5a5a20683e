/**
 * The partition policy of the batch loop, in one place: how a batch's work is retried, when its partition
 * pauses, how the member keeps its group membership meanwhile, and what happens to a batch that fails for a
 * reason that is not transient (given back for a backoff, then applied in parts). The batch handler calls
 * it; test/unit/processor/partition-policy.test.ts pins it with a fake clock and an object-literal batch.
 */
import type { ConsumedBatch, Logger } from '@telemetry-pulse/shared';
import { backoffMs, classifyFailure } from './domain/failures';
import type { ProcessorMetrics } from './metrics';

export interface PartitionPolicyDeps {
  readonly metrics: ProcessorMetrics;
  readonly logger: Logger;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly pauseAfterMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often the group is told this member is alive while a batch's work runs (default 1 s). */
  readonly heartbeatEveryMs?: number;
  /**
   * Attempts of a batch failing for a reason that is not transient before its records are applied in
   * parts and the failing ones dead-lettered as PROCESSING_FAILED.
   */
  readonly failedBatchAttempts: number;
  /** Resumes a given-back partition after `ms` (default: an unref'd timer). */
  readonly later?: (ms: number, fn: () => void) => void;
}

export interface PartitionPolicy {
  /** Runs `fn` until it succeeds; transient failures are retried, others rethrown as a BatchFailure. */
  retrying<T>(
    batch: ConsumedBatch,
    what: string,
    fn: (attempt: number) => Promise<T>,
  ): Promise<T | undefined>;
  /** Whether attempt `attempt` of a batch applies it whole, or in parts to isolate its failing records. */
  modeOf(attempt: number): 'whole' | 'isolate';
  /**
   * Gives a failed batch back: pauses its partition for the retry backoff of `attempts` and resumes it
   * after, so the batch is fetched again while the other partitions keep flowing. Returns the delay (ms).
   */
  giveBack(batch: ConsumedBatch, attempts: number): number;
}

/** A failure of the batch's own work (not transient), as opposed to losing the partition or the group. */
export class BatchFailure extends Error {
  constructor(cause: unknown) {
    super(describeError(cause), { cause });
    this.name = 'BatchFailure';
  }
}
export const isBatchFailure = (err: unknown): err is BatchFailure => err instanceof BatchFailure;

/** The error's text for a dead letter or a log: message, and the SQLSTATE when PostgreSQL sent one. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code } = err as { code?: unknown };
  return typeof code === 'string' && /^(?=[A-Z]*[0-9])[0-9A-Z]{5}$/.test(code)
    ? `${err.message} (SQLSTATE ${code})`
    : err.message;
}

/**
 * Transient failures retried in place with backoff and full jitter, the partition paused after
 * `pauseAfterMs`, heartbeats all along; anything else thrown as a {@link BatchFailure} for the handler,
 * which gives the batch back ({@link PartitionPolicy.giveBack}) until `failedBatchAttempts` have failed.
 */
export function createPartitionPolicy(deps: PartitionPolicyDeps): PartitionPolicy {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { metrics } = deps;
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 1_000;
  const later = deps.later ?? ((ms: number, fn: () => void) => setTimeout(fn, ms).unref());

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
          if (classifyFailure(err) === 'fatal') throw new BatchFailure(err);
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

  function giveBack(batch: ConsumedBatch, attempts: number): number {
    const delayMs = deps.retryBaseMs + backoffMs(attempts, deps.retryBaseMs, deps.retryMaxMs, random);
    // Given back uncommitted, the batch is fetched again once resumed; meanwhile the fetcher serves the
    // other partitions (kafkajs waits for every batch of a fetch before fetching again).
    batch.pause();
    later(delayMs, () => batch.resume());
    return delayMs;
  }

  return {
    retrying,
    modeOf: (attempt) => (attempt <= deps.failedBatchAttempts ? 'whole' : 'isolate'),
    giveBack,
  };
}

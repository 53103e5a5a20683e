import { withTransaction, type Pool, type PoolClient } from '@telemetry-pulse/shared';
import {
  classifyBatch,
  type AcceptedReading,
  type RejectedRecord,
  type ValidReading,
} from './domain/plan-batch';
import type { LatenessPolicy } from './domain/watermark';
import { splitExpired } from './domain/retention';
import { aggregateIntoWindows, withRollUps } from './domain/windows';
import { lockProgress, saveProgress } from './adapters/postgres/consumer-offsets';
import { recordDeadLetters, supersedeDeadLetters } from './adapters/postgres/dead-letters';
import { upsertDevices } from './adapters/postgres/devices';
import { StoredIdInCopy, type RawEventWriter, type RawWritePath } from './adapters/postgres/raw-events';
import { upsertWindowAggregates } from './adapters/postgres/window-aggregates';
import type { AlertStore, AlertOutcome } from './adapters/postgres/alerts';

export interface BatchInput {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** Offsets covered by this batch, inclusive. */
  readonly firstOffset: string;
  readonly lastOffset: string;
  /** The partition's end when the batch was fetched: offsets at or past it do not exist yet. */
  readonly highWatermark: string;
  readonly valid: readonly ValidReading[];
  readonly rejected: readonly RejectedRecord[];
  readonly attempt: number;
}

export interface BatchOutcome {
  /** True when the database already held this batch's effects (redelivery): nothing was written. */
  readonly alreadyApplied: boolean;
  readonly skippedRecords: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly late: number;
  readonly tooLate: number;
  /** Readings older than the raw horizon (their partition is dropped): counted, neither stored nor aggregated. */
  readonly expired: number;
  readonly revisions: number;
  readonly alerts: AlertOutcome;
  readonly watermarkMs: number | null;
  /**
   * The stored next offset this batch abandoned because it lay past the partition's end (the topic was
   * recreated or truncated), or null. Worth an error log: the partition's history changed under us.
   */
  readonly abandonedOffset: string | null;
  /** Dead letters of the abandoned log moved to dead_letters_superseded (0 unless abandonedOffset is set). */
  readonly supersededDeadLetters: number;
}

export interface ApplyDeps {
  readonly pool: Pool;
  readonly windowSeconds: readonly number[];
  /** Roll-up widths materialised from the windows of `rollupSourceSeconds` (null: none). */
  readonly rollupSeconds: readonly number[];
  readonly rollupSourceSeconds: number | null;
  readonly lateness: LatenessPolicy;
  readonly alerts: AlertStore;
  /** Stores raw readings (COPY, or INSERT ... ON CONFLICT after a repeated id); one per processor. */
  readonly rawEvents: RawEventWriter;
}

const NO_ALERTS: AlertOutcome = { transitions: [], skippedOutOfOrder: 0 };

/**
 * Applies one partition batch in ONE transaction: raw rows (ids already stored skipped), then aggregates,
 * devices and alerts derived only from the rows actually inserted, dead-letter records, and the
 * partition's next offset and clock. Records below the stored next offset were applied by an earlier
 * attempt or another member and are skipped, so redelivery after a crash or rebalance changes nothing.
 */
export async function applyBatch(deps: ApplyDeps, input: BatchInput): Promise<BatchOutcome> {
  try {
    return await withTransaction(deps.pool, (client) => applyIn(client, deps, input, 'copy'));
  } catch (err) {
    if (!(err instanceof StoredIdInCopy)) throw err;
    // The COPY met an id already stored and took the transaction with it: the batch again, with the INSERT
    // that skips stored ids (rare: replays of applied offsets are skipped by offset before the COPY).
    return withTransaction(deps.pool, (client) => applyIn(client, deps, input, 'insert'));
  }
}

async function applyIn(
  client: PoolClient,
  deps: ApplyDeps,
  input: BatchInput,
  rawPath: RawWritePath,
): Promise<BatchOutcome> {
  const progress = await lockProgress(client, input.group, input.topic, input.partition);
  // Offsets compared as numbers: exact below 2^53, which a partition would need centuries to reach.
  let from = progress.nextOffset === null ? -1 : Number(progress.nextOffset);
  // A stored next offset past the partition's end cannot come from this log: the topic was recreated or
  // truncated (a broker volume wiped while the database kept its state). Its records are new, so apply
  // them instead of skipping them as done; the event-id key still stores a replayed reading once.
  const abandonedOffset = from > Number(input.highWatermark) ? String(from) : null;
  if (abandonedOffset !== null) from = -1;
  // The new log reuses the old one's offsets: its dead letters must not collide with the old ones.
  const supersededDeadLetters =
    abandonedOffset === null
      ? 0
      : await supersedeDeadLetters(client, input.group, input.topic, input.partition);
  const fresh = (offset: string): boolean => Number(offset) >= from;
  if (Number(input.lastOffset) < from) {
    return {
      ...emptyOutcome(progress.clock.watermarkMs),
      alreadyApplied: true,
      skippedRecords: input.valid.length + input.rejected.length,
      abandonedOffset: null,
      supersededDeadLetters: 0,
    };
  }
  // Nearly always the whole batch is new: then its arrays as they are, not copies.
  const allFresh = fresh(input.firstOffset);
  const valid = allFresh ? input.valid : input.valid.filter((v) => fresh(v.offset));
  const rejected = allFresh ? input.rejected : input.rejected.filter((r) => fresh(r.record.offset));
  const skippedRecords = input.valid.length + input.rejected.length - valid.length - rejected.length;

  const classified = classifyBatch(input.partition, valid, progress.clock, deps.lateness);
  const { kept, expired } = splitExpired(classified.accepted, progress.rawHorizonMs);
  const insertedIds = await deps.rawEvents.write(client, kept, rawPath);
  const inserted = insertedIds === 'all' ? kept : kept.filter((r) => insertedIds.has(r.eventId));
  const late = count(inserted, 'late');
  const tooLate = count(inserted, 'too_late');
  const aggregatable = tooLate === 0 ? inserted : inserted.filter((r) => r.lateness !== 'too_late');
  await upsertDevices(client, inserted);
  const alerts =
    inserted.length > 0 || classified.clock.maxEventMs !== null
      ? await deps.alerts.apply(client, input.partition, inserted, classified.clock)
      : NO_ALERTS;
  await recordDeadLetters(client, input.group, input.topic, input.partition, rejected, input.attempt);
  // Windows last: every partition's batches update the same zone windows, so each transaction holds
  // their row locks from this statement to its commit. Taken here, the others wait for one statement
  // and a commit, not for this batch's devices, alerts and dead letters as well.
  const revisions = await upsertWindowAggregates(
    client,
    withRollUps(
      aggregateIntoWindows(aggregatable, deps.windowSeconds),
      deps.rollupSourceSeconds,
      deps.rollupSeconds,
    ),
    deps.rollupSeconds,
  );
  await saveProgress(
    client,
    input.group,
    input.topic,
    input.partition,
    String(Number(input.lastOffset) + 1),
    classified.clock,
  );
  return {
    alreadyApplied: false,
    skippedRecords,
    stored: inserted.length,
    duplicates: valid.length - inserted.length - expired,
    late,
    tooLate,
    expired,
    revisions,
    alerts,
    watermarkMs: classified.clock.watermarkMs,
    abandonedOffset,
    supersededDeadLetters,
  };
}

function count(readings: readonly AcceptedReading[], lateness: AcceptedReading['lateness']): number {
  let n = 0;
  for (const r of readings) if (r.lateness === lateness) n += 1;
  return n;
}

function emptyOutcome(
  watermarkMs: number | null,
): Omit<BatchOutcome, 'alreadyApplied' | 'skippedRecords' | 'abandonedOffset' | 'supersededDeadLetters'> {
  return {
    stored: 0,
    duplicates: 0,
    late: 0,
    tooLate: 0,
    expired: 0,
    revisions: 0,
    alerts: NO_ALERTS,
    watermarkMs,
  };
}

/** One outcome for a batch applied in several transactions (in offset order), as if applied in one. */
export function mergeOutcomes(parts: readonly BatchOutcome[]): BatchOutcome {
  const sum = (f: (o: BatchOutcome) => number): number => parts.reduce((n, o) => n + f(o), 0);
  const withClock = parts.filter((o) => o.watermarkMs !== null);
  return {
    alreadyApplied: parts.every((o) => o.alreadyApplied),
    skippedRecords: sum((o) => o.skippedRecords),
    stored: sum((o) => o.stored),
    duplicates: sum((o) => o.duplicates),
    late: sum((o) => o.late),
    tooLate: sum((o) => o.tooLate),
    expired: sum((o) => o.expired),
    revisions: sum((o) => o.revisions),
    alerts: {
      transitions: parts.flatMap((o) => o.alerts.transitions),
      skippedOutOfOrder: sum((o) => o.alerts.skippedOutOfOrder),
    },
    watermarkMs: withClock[withClock.length - 1]?.watermarkMs ?? null,
    abandonedOffset: parts.find((o) => o.abandonedOffset !== null)?.abandonedOffset ?? null,
    supersededDeadLetters: sum((o) => o.supersededDeadLetters),
  };
}

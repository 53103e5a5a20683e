/**
 * Event-time progress of one partition. The watermark says "no reading older than this is still
 * expected"; it only moves forward.
 */
export interface PartitionClock {
  /**
   * The partition's event-time clock, epoch ms: the newest event time seen, each reading counted no later
   * than the moment it reached Kafka or the processor (see {@link clockTimeMs}); null before the first
   * reading. The watermark and the silence rule are measured against it.
   */
  readonly maxEventMs: number | null;
  readonly watermarkMs: number | null;
}

export interface LatenessPolicy {
  /** Slack for out-of-order readings: watermark = max event time - allowedLatenessMs. */
  readonly allowedLatenessMs: number;
  /** Readings older than watermark - horizonMs are stored raw, flagged too_late, and not aggregated. */
  readonly horizonMs: number;
  /**
   * A caught-up partition (no backlog) with no reading for this long (wall clock) advances its watermark
   * by the wall clock; see {@link idlePartitions}.
   */
  readonly idleAfterMs: number;
}

export type Lateness = 'on_time' | 'late' | 'too_late';

export const NEW_CLOCK: PartitionClock = { maxEventMs: null, watermarkMs: null };

/**
 * on_time: at or after the watermark; late: behind it but within the horizon (its window is revised and
 * the revision counted); too_late: beyond the horizon (kept raw and flagged, never aggregated).
 */
export function classifyLateness(tsMs: number, watermarkMs: number | null, policy: LatenessPolicy): Lateness {
  if (watermarkMs === null || tsMs >= watermarkMs) return 'on_time';
  return tsMs < watermarkMs - policy.horizonMs ? 'too_late' : 'late';
}

/**
 * How far one reading may move its partition's clock: its event time, but no later than the Kafka record
 * timestamp (when the producer sent it, or the broker appended it) nor the processor's wall clock when it
 * read the batch. Device clocks drift: a device stamping readings 9 min ahead would otherwise drag the
 * partition's watermark 9 min into the future, so every honest reading on the partition would be late and
 * every honest device would look silent. Capped, a fast device's readings are stored, aggregated and run
 * through its own alert rules at their own event time, but they judge no other device. The record
 * timestamp keeps the cap right during a backlog (a batch read long after it was produced); a record
 * without one (`timestampMs` not a positive number) is capped by the wall clock alone.
 */
export function clockTimeMs(tsEventMs: number, recordTimestampMs: number, wallNowMs: number): number {
  const sent = Number.isFinite(recordTimestampMs) && recordTimestampMs > 0 ? recordTimestampMs : wallNowMs;
  return Math.min(tsEventMs, sent, wallNowMs);
}

/** Moves the clock after a batch whose newest reading is `batchMaxEventMs`. */
export function advanceOnReadings(
  clock: PartitionClock,
  batchMaxEventMs: number,
  policy: LatenessPolicy,
): PartitionClock {
  const maxEventMs =
    clock.maxEventMs === null ? batchMaxEventMs : Math.max(clock.maxEventMs, batchMaxEventMs);
  return {
    maxEventMs,
    watermarkMs: maxOf(clock.watermarkMs, maxEventMs - policy.allowedLatenessMs),
  };
}

/**
 * An idle partition must not hold every window open forever: once it is caught up and has had no reading
 * for `idleAfterMs` (wall clock), its watermark may follow the wall clock, minus the allowed lateness.
 */
export function idleWatermarkMs(wallNowMs: number, policy: LatenessPolicy): number {
  return wallNowMs - policy.allowedLatenessMs;
}

/**
 * The partitions, of those this member owns, that may count as idle: the ones whose backlog is drained
 * (consumer lag exactly 0). A partition with records still to apply is behind, not idle, however long ago
 * its last batch committed (the database was down, the member was paused): advancing its watermark by
 * the wall clock would class its whole backlog late, or too late after a long outage. A partition whose
 * lag is unknown (the broker did not answer) is not idle either.
 */
export function idlePartitions(
  owned: readonly number[],
  lags: readonly { readonly partition: number; readonly lag: number }[],
): number[] {
  const drained = new Set(lags.filter((p) => p.lag === 0).map((p) => p.partition));
  return owned.filter((partition) => drained.has(partition));
}

function maxOf(a: number | null, b: number): number {
  return a === null ? b : Math.max(a, b);
}

/**
 * Storage lifecycle rules (issue 19), pure: which raw partitions must exist, which may go, where each tier
 * now starts, and which readings are too old to store. The adapters run the SQL these decide.
 */

export const DAY_MS = 86_400_000;

export interface StoragePolicy {
  /** Raw readings are kept at least this long (event time): the dedup horizon. */
  readonly rawRetentionMs: number;
  /** Width of one raw partition, a whole number of days (aligned to the epoch, so to UTC midnight). */
  readonly partitionMs: number;
  /** Partitions created ahead of the current one, so a batch never meets a missing partition. */
  readonly partitionsAhead: number;
  /** Every window width stored (the windows and the roll-ups), seconds. */
  readonly windowSeconds: readonly number[];
  /** Window width (seconds) → how long its windows are kept; widths absent here are kept forever. */
  readonly windowRetentionMs: ReadonlyMap<number, number>;
}

/** One raw partition's range, epoch ms; `fromMs` null for the migrated table below MINVALUE. */
export interface RawPartition {
  readonly name: string;
  readonly fromMs: number | null;
  readonly toMs: number;
}

export function alignDownMs(ms: number, widthMs: number): number {
  return Math.floor(ms / widthMs) * widthMs;
}

/**
 * The partitions that must exist at `nowMs`: the current one and `partitionsAhead` after it. Past ones are
 * never created: a day before partitioning began is held by the migrated table or the default partition.
 */
export function partitionsToCreate(nowMs: number, policy: StoragePolicy): { fromMs: number; toMs: number }[] {
  const first = alignDownMs(nowMs, policy.partitionMs);
  return Array.from({ length: policy.partitionsAhead + 1 }, (_, i) => ({
    fromMs: first + i * policy.partitionMs,
    toMs: first + (i + 1) * policy.partitionMs,
  }));
}

/**
 * Where raw storage starts at `nowMs`: the retention, rounded down to a partition edge, so whole partitions
 * fall out of it. Everything at or after it is kept (for at least the retention); a reading before it is
 * expired: counted, not stored.
 */
export function rawHorizonMs(nowMs: number, policy: StoragePolicy): number {
  return alignDownMs(nowMs - policy.rawRetentionMs, policy.partitionMs);
}

/** Partitions wholly before the horizon, oldest first: dropped, each an O(1) DROP TABLE. */
export function partitionsToDrop(partitions: readonly RawPartition[], horizonMs: number): RawPartition[] {
  return partitions.filter((p) => p.toMs <= horizonMs).sort((a, b) => a.toMs - b.toMs);
}

/** Where windows of one width are kept from: retention rounded down to a UTC day (whole days go). */
export function windowHorizonMs(nowMs: number, retentionMs: number): number {
  return alignDownMs(nowMs - retentionMs, DAY_MS);
}

/** Splits readings at the raw horizon: those before it are expired (their partition is gone). */
export function splitExpired<T extends { readonly tsEventMs: number }>(
  readings: readonly T[],
  horizonMs: number,
): { kept: readonly T[]; expired: number } {
  // Nearly always none is expired: then the readings themselves, not a copy.
  if (!readings.some((r) => r.tsEventMs < horizonMs)) return { kept: readings, expired: 0 };
  const kept = readings.filter((r) => r.tsEventMs >= horizonMs);
  return { kept, expired: readings.length - kept.length };
}

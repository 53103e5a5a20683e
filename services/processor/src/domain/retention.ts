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
  /** Published dead letters are deleted this long after they were dead-lettered. */
  readonly deadLetterRetentionMs: number;
  /** Settled alert transitions and their notification deliveries are deleted this long after the transition. */
  readonly notificationRetentionMs: number;
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

/** Most raw partitions a policy may keep (the retention's and the ones ahead): more want a wider partition. */
export const MAX_RAW_PARTITIONS = 1000;

/** How many partitions a policy keeps at most: those the retention spans, the current one and those ahead. */
export function rawPartitionsKept(
  policy: Pick<StoragePolicy, 'rawRetentionMs' | 'partitionMs' | 'partitionsAhead'>,
): number {
  return Math.ceil(policy.rawRetentionMs / policy.partitionMs) + 1 + policy.partitionsAhead;
}

/**
 * The partitions to create at `nowMs`: every one from the raw horizon (`horizonMs`, rounded down to a
 * partition edge) to the current one and `partitionsAhead` after it, less those an existing partition
 * already covers in whole or in part (PostgreSQL refuses an overlapping ATTACH; the migrated table covers
 * everything before its last day). So a reading inside the retention always has its own partition: a
 * backlog of past days on a new database lands in day partitions, which are later dropped whole, not in
 * the default partition.
 */
export function partitionsToCreate(
  nowMs: number,
  horizonMs: number,
  policy: StoragePolicy,
  existing: readonly RawPartition[],
): { fromMs: number; toMs: number }[] {
  const width = policy.partitionMs;
  const last = alignDownMs(nowMs, width) + policy.partitionsAhead * width;
  // The committed horizon only moves forward, so it may lie past this policy's own; never before the latter
  // (a horizon still at -infinity creates nothing older than the retention).
  const first = Math.max(alignDownMs(horizonMs, width), rawHorizonMs(nowMs, policy));
  const out: { fromMs: number; toMs: number }[] = [];
  for (let fromMs = first; fromMs <= last; fromMs += width) {
    const toMs = fromMs + width;
    if (!existing.some((p) => (p.fromMs ?? Number.NEGATIVE_INFINITY) < toMs && fromMs < p.toMs)) {
      out.push({ fromMs, toMs });
    }
  }
  return out;
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

import { ConfigError } from '@telemetry-pulse/shared/core';
import type { DeadLetter } from './dead-letter';

/** Offsets a DLQ partition holds right now. */
export interface PartitionOffsets {
  readonly partition: number;
  /** Earliest offset still held (retention moves it forward). */
  readonly low: string;
  /** Offset the next dead letter will get: reading stops here, so a run is bounded. */
  readonly high: string;
}

/** Offsets `[from, to)` of one partition to read. */
export interface ReadRange {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

export type BatchVerdict = 'more' | 'stop';

/**
 * Read access to the DLQ topic, as the commands need it. The Kafka implementation (kafka-source.ts) is
 * the only real one; unit tests may pass an object literal.
 */
export interface DlqSource {
  /** The DLQ topic's partitions and their offsets now; a DlqToolError when the topic does not exist. */
  partitions(): Promise<readonly PartitionOffsets[]>;
  /** Names of the topics on the cluster (to check replay targets before sending). */
  topics(): Promise<ReadonlySet<string>>;
  /**
   * Hands every dead letter in the ranges to `onBatch` once, in offset order per partition, without
   * committing anything. Resolves when each range is read to its end or `onBatch` answers `stop`.
   */
  read(
    ranges: readonly ReadRange[],
    onBatch: (letters: readonly DeadLetter[]) => Promise<BatchVerdict>,
  ): Promise<void>;
  /** Disconnects and removes whatever the reads left on the cluster. Idempotent. */
  close(): Promise<void>;
}

/** Whole partitions to read from their earliest offset to their end, optionally only one of them. */
export function wholePartitions(
  partitions: readonly PartitionOffsets[],
  only: number | undefined,
): ReadRange[] {
  return partitions
    .filter((p) => only === undefined || p.partition === only)
    .map((p) => ({ partition: p.partition, from: p.low, to: p.high }));
}

/** Dead letters in the ranges (offsets are dense on a DLQ, so this is exact for a progress line). */
export function countInRanges(ranges: readonly ReadRange[]): number {
  return ranges.reduce((sum, r) => sum + Math.max(0, Number(BigInt(r.to) - BigInt(r.from))), 0);
}

/** `--partition` must name a partition the topic has: a typo would otherwise read nothing and say "0". */
export function checkPartition(
  partitions: readonly PartitionOffsets[],
  partition: number | undefined,
  topic: string,
): void {
  if (partition === undefined || partitions.some((p) => p.partition === partition)) return;
  throw new ConfigError([
    `--partition ${partition}: ${topic} has ${partitions.length} partition(s), 0..${partitions.length - 1}`,
  ]);
}

/**
 * Whether data is flowing through the pipeline, judged from two real sources: the broker's high
 * watermarks against the progress the processor's group stored with its effects (consumer lag), and when
 * that progress last moved. Pure: the caller brings the figures and the clock.
 *
 * - `flowing`: the group applied a batch (readings or dead letters) within `stallAfterMs`;
 * - `stalled`: records wait on a partition (lag > 0) where nothing has been applied for `stallAfterMs`;
 * - `idle`: nothing applied for that long, and nothing waiting (no producer is sending);
 * - `unknown`: nothing applied for that long, and the lag could not be read, so idle and stalled look alike.
 */
export type PipelineState = 'flowing' | 'stalled' | 'idle' | 'unknown';

export interface PartitionWait {
  readonly partition: number;
  /** Records on the partition not applied yet. */
  readonly lag: number;
  /** Time since the group last applied a batch here; undefined when it never has. */
  readonly idleMs: number | undefined;
}

export interface PipelineAssessment {
  readonly state: PipelineState;
  readonly stalledPartitions: number[];
}

/**
 * Assesses the pipeline. `partitions` is undefined when the lag is unknown (the broker did not answer);
 * `lastAppliedIdleMs` is the time since any partition was last applied (undefined: never).
 */
export function assessPipeline(input: {
  partitions: readonly PartitionWait[] | undefined;
  lastAppliedIdleMs: number | undefined;
  stallAfterMs: number;
}): PipelineAssessment {
  const stalledPartitions = (input.partitions ?? [])
    .filter((p) => p.lag > 0 && p.idleMs !== undefined && p.idleMs >= input.stallAfterMs)
    .map((p) => p.partition)
    .sort((a, b) => a - b);
  if (stalledPartitions.length > 0) return { state: 'stalled', stalledPartitions };
  const recent = input.lastAppliedIdleMs !== undefined && input.lastAppliedIdleMs < input.stallAfterMs;
  if (recent) return { state: 'flowing', stalledPartitions };
  return { state: input.partitions === undefined ? 'unknown' : 'idle', stalledPartitions };
}

/**
 * Dates the wait of partitions the group has never applied: the database has no progress row to date it
 * from, so this remembers since when records have been seen waiting there (per API instance; forgotten
 * once the partition is applied or empty).
 */
export interface NeverAppliedWaits {
  /** Time records have been seen waiting on `partition`, or undefined when none wait now. */
  waitedMs(partition: number, lag: number, nowMs: number): number | undefined;
  /** The partition has been applied: its progress row dates it from now on. */
  forget(partition: number): void;
}

export function createNeverAppliedWaits(): NeverAppliedWaits {
  const since = new Map<number, number>();
  return {
    waitedMs(partition, lag, nowMs) {
      if (lag <= 0) {
        since.delete(partition);
        return undefined;
      }
      const first = since.get(partition) ?? nowMs;
      since.set(partition, first);
      return nowMs - first;
    },
    forget: (partition) => void since.delete(partition),
  };
}

/** A partition whose batch failed for a reason that is not transient and has not been applied since. */
export interface StuckPartition {
  readonly topic: string;
  readonly partition: number;
  /** First offset of the failing batch. */
  readonly offset: string;
  /** Failed attempts of that batch so far. */
  readonly attempts: number;
  readonly error: string;
  readonly sinceMs: number;
}

/**
 * The partitions this member is stuck on, for /readyz and the stuck-partitions gauge. The batch handler
 * marks a partition on a failed attempt and clears it once the partition commits again.
 */
export interface StuckPartitions {
  mark(p: StuckPartition): void;
  clear(topic: string, partition: number): void;
  get(topic: string, partition: number): StuckPartition | undefined;
  list(): StuckPartition[];
}

export function createStuckPartitions(onChange: (count: number) => void = () => undefined): StuckPartitions {
  const byKey = new Map<string, StuckPartition>();
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  return {
    mark(p) {
      byKey.set(key(p.topic, p.partition), p);
      onChange(byKey.size);
    },
    clear(topic, partition) {
      if (byKey.delete(key(topic, partition))) onChange(byKey.size);
    },
    get: (topic, partition) => byKey.get(key(topic, partition)),
    list: () => [...byKey.values()],
  };
}

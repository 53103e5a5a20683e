/**
 * Per partition: records on the topic that the group has not applied yet, from the broker's high and low
 * watermarks and the next offset the processor stored with its effects. Never below zero; a partition
 * with nothing applied yet (no row, or -1) lags by everything still retained on it.
 */
export function consumerLag(
  watermarks: readonly { partition: number; high: number; low: number }[],
  applied: ReadonlyMap<number, number>,
): { partition: number; lag: number }[] {
  return watermarks
    .map((p) => {
      const next = applied.get(p.partition);
      const from = next === undefined || next < 0 ? p.low : Math.max(next, p.low);
      return { partition: p.partition, lag: Math.max(0, p.high - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}

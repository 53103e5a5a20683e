/**
 * Which stored tier answers which part of an aggregates range (issue 19). The processor keeps windows of
 * several widths, each for its own retention (5 m 90 d, 15 m 1 y, 1 h and 1 d forever by default), and
 * records in storage_horizons where each width is kept from.
 */

/** Tier width (seconds) → kept from (epoch ms; -Infinity when nothing was removed). */
export type TierHorizons = ReadonlyMap<number, number>;

/** The stored windows before any horizon is recorded: 5 m and 15 m, 1 h and 1 d summed from 15 m. */
export const DEFAULT_TIERS: TierHorizons = new Map([
  [300, Number.NEGATIVE_INFINITY],
  [900, Number.NEGATIVE_INFINITY],
]);

export interface TierSegment {
  /** Width of the stored windows read. */
  readonly tierSeconds: number;
  /** Width of the buckets returned: the one asked for, or the tier's own when it is coarser. */
  readonly bucketSeconds: number;
  /** [fromMs, toMs), epoch ms. */
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Splits [fromMs, toMs) by tier, oldest first. The newest part comes from the coarsest tier that tiles
 * the bucket exactly (1 h buckets from the 1 h tier, 5 m from 5 m): exact, and the fewest rows to read.
 * Where that tier no longer holds the range, the finest coarser tier still holding it answers, in its own
 * (coarser) buckets, and says so. A range no tier holds yields no segment.
 */
export function planTiers(
  bucketSeconds: number,
  fromMs: number,
  toMs: number,
  horizons: TierHorizons,
): TierSegment[] {
  const widths = [...horizons.keys()].sort((a, b) => a - b);
  const exact = widths.filter((w) => w <= bucketSeconds && bucketSeconds % w === 0).at(-1);
  const chain = [...(exact === undefined ? [] : [exact]), ...widths.filter((w) => w > bucketSeconds)];
  const segments: TierSegment[] = [];
  let upper = toMs;
  for (const w of chain) {
    if (upper <= fromMs) break;
    const kept = horizons.get(w) ?? Number.POSITIVE_INFINITY;
    const width = Math.max(w, bucketSeconds) * 1000;
    const lower = Math.max(fromMs, kept);
    if (lower < upper) {
      // A coarser bucket starts at its own edge: the one holding `fromMs` is returned whole.
      segments.unshift({
        tierSeconds: w,
        bucketSeconds: width / 1000,
        fromMs: Math.floor(lower / width) * width,
        toMs: upper,
      });
    }
    upper = Math.min(upper, lower);
  }
  return segments;
}

/** A tier's name in responses: `5m`, `15m`, `1h`, `1d`, or seconds (`120s`) for another width. */
export function tierName(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * Where event time comes from. Live runs stamp each report with the wall clock; backfills walk a span of
 * history one interval at a time, each device at its own phase inside the interval.
 */
export type Timeline =
  | { readonly mode: 'live'; readonly now: () => number }
  | {
      readonly mode: 'backfill';
      readonly fromMs: number;
      readonly toMs: number;
      readonly intervalMs: number;
    };

/** A backfill over `spanMs` ending at `endMs` (normally now); the span is rounded up to whole intervals. */
export function backfillTimeline(endMs: number, spanMs: number, intervalMs: number): Timeline {
  const ticks = Math.max(1, Math.ceil(spanMs / intervalMs));
  return { mode: 'backfill', fromMs: endMs - ticks * intervalMs, toMs: endMs, intervalMs };
}

/** Device reports a backfill holds; the basis of its progress estimate. */
export function backfillReports(timeline: Timeline, devices: number): number | undefined {
  if (timeline.mode !== 'backfill') return undefined;
  return Math.ceil((timeline.toMs - timeline.fromMs) / timeline.intervalMs) * devices;
}

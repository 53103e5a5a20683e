import type { DurationStats } from '../contract/alert-stats';
import type { Alert } from '../contract/alerts';

/** The period alert analytics cover when `from` is omitted: a week before `to`. */
export const DEFAULT_STATS_SPAN_MS = 7 * 86_400_000;
/** The longest period one request may cover: a year and a day, so one query never reads the whole history. */
export const MAX_STATS_SPAN_MS = 366 * 86_400_000;

/** What the analytics count: alerts opened in [fromMs, toMs) that match every filter given. */
export interface AlertStatsFilter {
  readonly fromMs: number;
  readonly toMs: number;
  readonly siteId?: string;
  readonly zoneId?: string;
  readonly ruleId?: string;
  readonly severities?: readonly Alert['severity'][];
  /** Devices listed, most alerts first. */
  readonly top: number;
  /** An alert opened at most this long after its device and rule's previous alert was resolved is a flap. */
  readonly flapMinutes: number;
}

export type StatsPeriod =
  | { readonly ok: true; readonly fromMs: number; readonly toMs: number }
  | { readonly ok: false; readonly name: 'from' | 'to'; readonly message: string };

/**
 * The period of a request: `to` defaults to now, `from` to a week before `to`. Refuses an empty or
 * inverted period (a `from` in the future with `to` omitted included) and one longer than MAX_STATS_SPAN_MS.
 */
export function statsPeriod(q: { fromMs?: number; toMs?: number }, nowMs: number): StatsPeriod {
  const toMs = q.toMs ?? nowMs;
  const fromMs = q.fromMs ?? toMs - DEFAULT_STATS_SPAN_MS;
  if (fromMs >= toMs) {
    return {
      ok: false,
      name: 'from',
      message: q.toMs === undefined ? 'must be before to (default: now)' : 'from must be before to',
    };
  }
  if (toMs - fromMs > MAX_STATS_SPAN_MS) {
    return { ok: false, name: 'from', message: 'the period may span at most 366 days' };
  }
  return { ok: true, fromMs, toMs };
}

/** Seconds rounded to the millisecond: percentile_cont interpolates, and microseconds are noise here. */
export const roundSeconds = (s: number): number => Math.round(s * 1000) / 1000;

/** p50/p90/max as stored, rounded; null when the group has no such time (nothing acknowledged, say). */
export function durationStats(
  p50: number | null,
  p90: number | null,
  max: number | null,
): DurationStats | null {
  if (p50 === null || p90 === null || max === null) return null;
  return { p50: roundSeconds(p50), p90: roundSeconds(p90), max: roundSeconds(max) };
}

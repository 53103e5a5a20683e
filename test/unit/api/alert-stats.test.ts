import {
  DEFAULT_STATS_SPAN_MS,
  MAX_STATS_SPAN_MS,
  durationStats,
  statsPeriod,
} from '../../../services/api/src/domain/alert-stats';

const NOW = Date.UTC(2026, 11, 3, 12); // epoch ms
const DAY = 86_400_000; // ms

describe('statsPeriod', () => {
  it('defaults to the week before now, and `from` to a week before a given `to`', () => {
    expect(statsPeriod({}, NOW)).toEqual({ ok: true, fromMs: NOW - DEFAULT_STATS_SPAN_MS, toMs: NOW });
    expect(statsPeriod({ toMs: NOW - DAY }, NOW)).toEqual({
      ok: true,
      fromMs: NOW - DAY - 7 * DAY,
      toMs: NOW - DAY,
    });
    expect(statsPeriod({ fromMs: NOW - DAY }, NOW)).toEqual({ ok: true, fromMs: NOW - DAY, toMs: NOW });
  });

  it('refuses an empty or inverted period, saying when `to` was the default', () => {
    expect(statsPeriod({ fromMs: NOW, toMs: NOW }, NOW)).toEqual({
      ok: false,
      name: 'from',
      message: 'from must be before to',
    });
    expect(statsPeriod({ fromMs: NOW + 1 }, NOW)).toEqual({
      ok: false,
      name: 'from',
      message: 'must be before to (default: now)',
    });
  });

  it('allows 366 days and no more', () => {
    expect(statsPeriod({ fromMs: NOW - MAX_STATS_SPAN_MS }, NOW).ok).toBe(true);
    expect(statsPeriod({ fromMs: NOW - MAX_STATS_SPAN_MS - 1 }, NOW)).toMatchObject({
      ok: false,
      name: 'from',
    });
  });
});

describe('durationStats', () => {
  it('rounds to the millisecond and is null when the group has no such time', () => {
    expect(durationStats(1.23449, 2.0005, 3)).toEqual({ p50: 1.234, p90: 2.001, max: 3 });
    expect(durationStats(null, null, null)).toBeNull();
  });
});

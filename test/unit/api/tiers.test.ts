import { DEFAULT_TIERS, planTiers, tierName } from '../../../services/api/src/domain/tiers';

const DAY = 86_400_000; // ms
const NOW = Date.UTC(2026, 11, 3); // epoch ms, a UTC midnight
const NONE = Number.NEGATIVE_INFINITY;
// The processor's defaults a year and a half in: 5 m kept 90 days, 15 m a year, 1 h and 1 d forever.
const horizons = new Map([
  [300, NOW - 90 * DAY],
  [900, NOW - 365 * DAY],
  [3600, NONE],
  [86_400, NONE],
]);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const plan = (bucket: number, from: number, to = NOW) =>
  planTiers(bucket, from, to, horizons).map((s) => [
    s.tierSeconds,
    s.bucketSeconds,
    iso(s.fromMs),
    iso(s.toMs),
  ]);

describe('which storage tier answers which range', () => {
  it('reads a recent range from the tier as wide as the bucket', () => {
    expect(plan(300, NOW - DAY)).toEqual([[300, 300, '2026-12-02', '2026-12-03']]);
    expect(plan(3600, NOW - DAY)).toEqual([[3600, 3600, '2026-12-02', '2026-12-03']]);
    expect(plan(86_400, NOW - 800 * DAY)).toEqual([[86_400, 86_400, '2024-09-24', '2026-12-03']]);
  });

  it('answers the part a fine tier no longer holds from the next coarser one, in its buckets', () => {
    expect(plan(300, NOW - 400 * DAY)).toEqual([
      [3600, 3600, '2025-10-29', '2025-12-03'],
      [900, 900, '2025-12-03', '2026-09-04'],
      [300, 300, '2026-09-04', '2026-12-03'],
    ]);
  });

  it('leaves out a range older than every tier, and a range no tier tiles is read from coarser ones', () => {
    const short = new Map([[300, NOW - DAY]]);
    expect(planTiers(300, NOW - 3 * DAY, NOW, short).map((s) => iso(s.fromMs))).toEqual(['2026-12-02']);
    expect(planTiers(120, NOW - DAY, NOW, short).map((s) => s.bucketSeconds)).toEqual([300]);
  });

  it('sums 1 h and 1 d from 15 m windows where no roll-up tier is recorded (the old behaviour)', () => {
    expect(
      planTiers(3600, NOW - DAY, NOW, DEFAULT_TIERS).map((s) => [s.tierSeconds, s.bucketSeconds]),
    ).toEqual([[900, 3600]]);
  });

  it('names tiers as the API writes widths', () => {
    expect([300, 900, 3600, 86_400, 120, 45].map(tierName)).toEqual(['5m', '15m', '1h', '1d', '2m', '45s']);
  });
});

import { combineRounds, durationMs, median, percentile } from '../../../scripts/bench/figures';
import { parseApiOptions } from '../../../scripts/bench/api/options';

describe('benchmark figures (scripts/bench/figures.ts)', () => {
  it('reads durations in ms, s, m and h, and refuses anything else', () => {
    expect([durationMs('250ms'), durationMs('30s'), durationMs('5m'), durationMs('1h')]).toEqual([
      250, 30_000, 300_000, 3_600_000,
    ]);
    expect(() => durationMs('5')).toThrow('not a duration: 5');
    expect(() => durationMs('1.5s')).toThrow('not a duration');
  });

  it('takes the nearest-rank percentile of sorted values, NaN when there are none', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(51);
    expect(percentile(sorted, 99)).toBe(100);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('combines rounds: medians, failures added up, the worst max, the p99 spread, lacking fields left out', () => {
    const combined = combineRounds([
      { p50: 1, p99: 10, max: 30, failed: 1, sendLagP99: 2 },
      { p50: 3, p99: 30, max: 50, failed: 0 },
      { p50: 2, p99: 20, max: 40, failed: 2, sendLagP99: 4 },
    ]);
    expect(combined).toEqual({ rounds: 3, p99Low: 10, p99High: 30, p50: 2, p99: 20, max: 50, failed: 3 });
  });
});

describe('API benchmark options (scripts/bench/api/options.ts)', () => {
  it('gives the documented defaults', () => {
    const o = parseApiOptions([]);
    expect(o).toMatchObject({ nice: 10, stepS: 30, rounds: 3, rowsSmall: 5_000_000, rowsLarge: 50_000_000 });
    expect(o).toMatchObject({ budgetMs: 25 * 60_000, warmupS: 2, seconds: 15, help: false });
  });

  it.each([
    [['--pacing', 'bursty'], '--pacing must be one of even, autocannon'],
    [['--processor-nice', '20'], '--processor-nice must be 0-19'],
    [['--interval', '7s'], '--interval must divide 15m'],
    [['--rounds', '0'], '--rounds must be a positive whole number'],
    [['--duration', '15'], 'not a duration: 15'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseApiOptions(argv)).toThrow(message);
  });

  it('answers --help without checking the rest', () => {
    expect(parseApiOptions(['--help', '--pacing', 'bursty', '--duration', '15']).help).toBe(true);
  });
});

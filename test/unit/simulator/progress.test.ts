import { formatEta, formatProgress, runFraction, type RunPosition } from '@telemetry-pulse/simulator';

const at = (p: Partial<RunPosition>): RunPosition => ({
  sent: 0,
  elapsedMs: 0,
  count: undefined,
  durationMs: undefined,
  backfillDone: undefined,
  ...p,
});

describe('run progress', () => {
  it('has no fraction for an open-ended live run', () => {
    expect(runFraction(at({ sent: 10, elapsedMs: 1_000 }))).toBeUndefined();
  });

  it('takes the bound closest to being reached', () => {
    expect(runFraction(at({ sent: 250, count: 1_000 }))).toBe(0.25);
    expect(runFraction(at({ sent: 250, count: 1_000, elapsedMs: 15_000, durationMs: 30_000 }))).toBe(0.5);
    expect(runFraction(at({ backfillDone: 0.75, sent: 1, count: 1_000 }))).toBe(0.75);
    expect(runFraction(at({ sent: 2_000, count: 1_000 }))).toBe(1);
  });

  it('formats ETAs', () => {
    expect(formatEta(7_000)).toBe('0:07');
    expect(formatEta(123_000)).toBe('2:03');
    expect(formatEta(3_723_000)).toBe('1:02:03');
  });

  it('writes one line with sent/total, rate and ETA', () => {
    expect(formatProgress(at({ sent: 120_000, count: 1_000_000, elapsedMs: 3_000 }), 48_210.4)).toBe(
      'sent 120,000/1,000,000 (12.0%) | 48,210 ev/s | ETA 0:22',
    );
    expect(formatProgress(at({ sent: 5_000, backfillDone: 0.5, elapsedMs: 10_000 }), 500)).toBe(
      'sent 5,000 (50.0%) | 500 ev/s | ETA 0:10',
    );
  });
});

import fc from 'fast-check';
import {
  advanceOnReadings,
  classifyLateness,
  clockTimeMs,
  idlePartitions,
  idleWatermarkMs,
  NEW_CLOCK,
  type Lateness,
  type LatenessPolicy,
  type PartitionClock,
} from '../../../services/processor/src/domain/watermark';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1_000);
const T0 = Date.UTC(2024, 4, 1, 12); // epoch ms
const MIN = 60_000; // ms
const HOUR = 60 * MIN;

// The processor defaults: 2m allowed lateness, 24h horizon, 30s idle.
const POLICY: LatenessPolicy = { allowedLatenessMs: 2 * MIN, horizonMs: 24 * HOUR, idleAfterMs: 30_000 };

const RANK: Record<Lateness, number> = { too_late: 0, late: 1, on_time: 2 };

const policyArb: fc.Arbitrary<LatenessPolicy> = fc.record({
  allowedLatenessMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 * MIN })),
  horizonMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 48 * HOUR })),
  idleAfterMs: fc.integer({ min: 1_000, max: 10 * MIN }),
});
const tsArb = fc.integer({ min: T0 - 48 * HOUR, max: T0 + 48 * HOUR });

/**
 * Clocks as stored: new; advanced by readings; or pushed ahead of its readings by the idle-partition
 * rule (which sets only the watermark, sometimes before any reading).
 */
const clockArb = (policy: LatenessPolicy): fc.Arbitrary<PartitionClock> =>
  fc.oneof(
    fc.constant(NEW_CLOCK),
    tsArb.map((maxEventMs) => ({ maxEventMs, watermarkMs: maxEventMs - policy.allowedLatenessMs })),
    fc.tuple(tsArb, fc.integer({ min: 0, max: HOUR })).map(([maxEventMs, ahead]) => ({
      maxEventMs,
      watermarkMs: maxEventMs - policy.allowedLatenessMs + ahead,
    })),
    tsArb.map((watermarkMs) => ({ maxEventMs: null, watermarkMs })),
  );

describe('classifyLateness', () => {
  const W = T0; // watermark
  it.each<[string, number, number | null, LatenessPolicy, Lateness]>([
    ['any reading before the first watermark', 0, null, POLICY, 'on_time'],
    ['a reading exactly at the watermark', W, W, POLICY, 'on_time'],
    ['a reading after the watermark', W + 1, W, POLICY, 'on_time'],
    ['a reading 1 ms behind the watermark', W - 1, W, POLICY, 'late'],
    ['a reading exactly at the horizon', W - 24 * HOUR, W, POLICY, 'late'],
    ['a reading 1 ms beyond the horizon', W - 24 * HOUR - 1, W, POLICY, 'too_late'],
    ['a reading far beyond the horizon', 0, W, POLICY, 'too_late'],
    ['a reading 1 ms behind with no horizon', W - 1, W, { ...POLICY, horizonMs: 0 }, 'too_late'],
    ['a reading at the watermark with no horizon', W, W, { ...POLICY, horizonMs: 0 }, 'on_time'],
  ])('classifies %s', (_name, ts, watermark, policy, lateness) => {
    expect(classifyLateness(ts, watermark, policy)).toBe(lateness);
  });

  it('is on_time for everything before the first reading', () => {
    fc.assert(
      fc.property(fc.integer(), policyArb, (ts, policy) => {
        expect(classifyLateness(ts, null, policy)).toBe('on_time');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never ranks an older reading better than a newer one, and at or after the watermark is on_time', () => {
    fc.assert(
      fc.property(tsArb, tsArb, tsArb, policyArb, (a, b, watermark, policy) => {
        const [older, newer] = a <= b ? [a, b] : [b, a];
        const rank = (ts: number) => RANK[classifyLateness(ts, watermark, policy)];
        expect(rank(older)).toBeLessThanOrEqual(rank(newer));
        expect(classifyLateness(Math.max(newer, watermark), watermark, policy)).toBe('on_time');
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('advanceOnReadings', () => {
  const L = POLICY.allowedLatenessMs;
  it.each<[string, PartitionClock, number, PartitionClock]>([
    ['starts a new clock', NEW_CLOCK, T0, { maxEventMs: T0, watermarkMs: T0 - L }],
    [
      'moves forward on a newer reading',
      { maxEventMs: T0, watermarkMs: T0 - L },
      T0 + MIN,
      { maxEventMs: T0 + MIN, watermarkMs: T0 + MIN - L },
    ],
    [
      'stays put on an older reading',
      { maxEventMs: T0, watermarkMs: T0 - L },
      T0 - HOUR,
      { maxEventMs: T0, watermarkMs: T0 - L },
    ],
    [
      'keeps a watermark the idle rule pushed ahead of the readings',
      { maxEventMs: T0, watermarkMs: T0 + 10 * MIN },
      T0 + MIN,
      { maxEventMs: T0 + MIN, watermarkMs: T0 + 10 * MIN },
    ],
    [
      'starts reading on a partition the idle rule advanced before any reading',
      { maxEventMs: null, watermarkMs: T0 },
      T0 - HOUR,
      { maxEventMs: T0 - HOUR, watermarkMs: T0 },
    ],
  ])('%s', (_name, clock, batchMax, expected) => {
    expect(advanceOnReadings(clock, batchMax, POLICY)).toEqual(expected);
  });

  it('never moves the watermark or the newest event time back; the watermark trails the newest by at most the slack', () => {
    const scenario = policyArb.chain((policy) =>
      fc.record({
        policy: fc.constant(policy),
        clock: clockArb(policy),
        batchMaxima: fc.array(tsArb, { maxLength: 50 }),
      }),
    );
    const ascending = (xs: (number | null)[]) => {
      const defined = xs.filter((x): x is number => x !== null);
      return [...defined].sort((a, b) => a - b);
    };
    fc.assert(
      fc.property(scenario, ({ policy, clock, batchMaxima }) => {
        const clocks = [clock];
        for (const batchMax of batchMaxima)
          clocks.push(advanceOnReadings(clocks[clocks.length - 1] ?? clock, batchMax, policy));
        const watermarks = clocks.map((c) => c.watermarkMs);
        const maxima = clocks.map((c) => c.maxEventMs);
        // every advance leaves a watermark, and none is lower than the one before
        expect(watermarks.slice(1)).not.toContain(null);
        expect(watermarks.filter((w) => w !== null)).toEqual(ascending(watermarks));
        expect(maxima.filter((m) => m !== null)).toEqual(ascending(maxima));
        const last = clocks[clocks.length - 1];
        if (batchMaxima.length > 0) {
          expect(last?.maxEventMs).toBe(Math.max(clock.maxEventMs ?? -Infinity, ...batchMaxima));
        }
        const behind = clocks.filter(
          (c) =>
            c.maxEventMs !== null && (c.watermarkMs ?? -Infinity) < c.maxEventMs - policy.allowedLatenessMs,
        );
        expect(behind).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('ends at the same clock whatever the order or grouping of the readings', () => {
    const scenario = policyArb.chain((policy) =>
      fc.record({
        policy: fc.constant(policy),
        clock: clockArb(policy),
        readings: fc
          .array(tsArb, { minLength: 1, maxLength: 50 })
          .chain((ts) => fc.tuple(fc.constant(ts), fc.shuffledSubarray(ts, { minLength: ts.length }))),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ policy, clock, readings: [inOrder, shuffled] }) => {
        const oneByOne = (ts: number[]) => ts.reduce((c, t) => advanceOnReadings(c, t, policy), clock);
        const asOneBatch = advanceOnReadings(clock, Math.max(...inOrder), policy);
        expect(oneByOne(inOrder)).toEqual(asOneBatch);
        expect(oneByOne(shuffled)).toEqual(asOneBatch);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('idleWatermarkMs', () => {
  it('trails the wall clock by the allowed lateness', () => {
    expect(idleWatermarkMs(T0, POLICY)).toBe(T0 - 2 * MIN);
    expect(idleWatermarkMs(T0, { ...POLICY, allowedLatenessMs: 0 })).toBe(T0);
  });
});

describe('clockTimeMs', () => {
  it.each<[string, number, number, number, number]>([
    ['an honest reading: its event time', T0 - 500, T0, T0 + 1_000, T0 - 500],
    ['a reading ahead of when it was sent: when it was sent', T0 + 9 * MIN, T0, T0 + 1_000, T0],
    ['a backlog read an hour late: still when it was sent', T0 + 9 * MIN, T0, T0 + HOUR, T0],
    ['a record timestamp ahead of the processor: the wall clock', T0 + 9 * MIN, T0 + 9 * MIN, T0, T0],
    ['no record timestamp (-1): the wall clock', T0 + 9 * MIN, -1, T0, T0],
    ['an old reading replayed: its event time', T0 - 48 * HOUR, T0, T0 + HOUR, T0 - 48 * HOUR],
  ])('%s', (_name, ts, sent, now, expected) => {
    expect(clockTimeMs(ts, sent, now)).toBe(expected);
  });

  it('is never after the event time, the record timestamp (when valid) or the wall clock', () => {
    fc.assert(
      fc.property(tsArb, fc.oneof(tsArb, fc.constant(-1)), tsArb, (ts, sent, now) => {
        const c = clockTimeMs(ts, sent, now);
        expect(c).toBeLessThanOrEqual(Math.min(ts, now));
        if (sent > 0) expect(c).toBeLessThanOrEqual(sent);
        expect([ts, sent, now]).toContain(c);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// Issue 14, item 6: a partition with a backlog (the database was down for minutes) had its watermark
// moved to the wall clock as soon as its last commit was idleAfterMs old, so its whole backlog was late.
describe('idlePartitions', () => {
  it('keeps only owned partitions whose lag is exactly 0', () => {
    const lags = [
      { partition: 0, lag: 0 },
      { partition: 1, lag: 12_000 },
      { partition: 2, lag: 0 },
      { partition: 3, lag: 1 },
      { partition: 5, lag: 0 },
    ];
    expect(idlePartitions([0, 1, 2, 3, 4], lags)).toEqual([0, 2]);
  });

  it('counts no partition idle when the lag could not be read', () => {
    expect(idlePartitions([0, 1, 2], [])).toEqual([]);
  });
});

import fc from 'fast-check';
import { SENSOR_TYPES, type SensorType } from '@telemetry-pulse/shared/core';
import {
  aggregateIntoWindows,
  mergeAggregates,
  sampleVariance,
  singleValue,
  windowKeyId,
  windowStartMs,
  type PartialAggregate,
  type WindowAggregate,
} from '../../../services/processor/src/domain/windows';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1_000);
const T0 = Date.UTC(2024, 4, 1, 12); // epoch ms, on a whole hour
const SEC = 1_000; // ms
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

type Reading = Parameters<typeof aggregateIntoWindows>[0][number];

/** Folds non-empty values into one aggregate, one reading at a time. */
function aggregateOf(values: readonly number[]): PartialAggregate {
  const [first, ...rest] = values;
  if (first === undefined) throw new Error('aggregateOf needs at least one value');
  return rest.reduce((acc, v) => mergeAggregates(acc, singleValue(v)), singleValue(first));
}

/** Why two aggregates differ, if they do: count, min and max must agree exactly; sums up to rounding. */
function aggregateMismatch(actual: PartialAggregate, expected: PartialAggregate): string | undefined {
  const near = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-9 * (1 + scale);
  const ok =
    actual.count === expected.count &&
    actual.min === expected.min &&
    actual.max === expected.max &&
    // sumSq + count bounds the sum of |x| (|x| <= x^2 + 1)
    near(actual.sum, expected.sum, expected.sumSq + expected.count) &&
    near(actual.sumSq, expected.sumSq, expected.sumSq);
  return ok ? undefined : `${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
}

function expectSameAggregate(actual: PartialAggregate, expected: PartialAggregate): void {
  expect(aggregateMismatch(actual, expected)).toBeUndefined();
}

/** Merges per-batch window outputs by key, as successive upserts of the same rows do. */
function mergeByKey(batches: readonly WindowAggregate[][]): Map<string, WindowAggregate> {
  const byKey = new Map<string, WindowAggregate>();
  for (const w of batches.flat()) {
    const id = windowKeyId(w.key);
    const prev = byKey.get(id);
    byKey.set(id, prev ? { key: w.key, agg: mergeAggregates(prev.agg, w.agg) } : w);
  }
  return byKey;
}

// Values span every sensor's physical range (temperature goes negative, occupancy up to 100 000).
const valueArb = fc.double({ min: -50, max: 100_000, noNaN: true, noDefaultInfinity: true });
const valuesArb = fc.array(valueArb, { minLength: 1, maxLength: 30 });
const widthsArb = fc.subarray([60, 300, 900, 3_600, 86_400], { minLength: 1 }); // seconds

// A few hours either side of T0; half the time exactly on, or one ms either side of, a 5-minute edge.
const tsArb = fc.oneof(
  fc.integer({ min: T0 - 3 * HOUR, max: T0 + 3 * HOUR }),
  fc
    .tuple(fc.integer({ min: -36, max: 36 }), fc.constantFrom(-1, 0, 1))
    .map(([k, d]) => T0 + k * 5 * MIN + d),
);

const readingArb: fc.Arbitrary<Reading> = fc.record({
  siteId: fc.constantFrom('site-1', 'site-2'),
  // 'zone-1' is a prefix of 'zone-10': keys must still stay apart
  zoneId: fc.constantFrom('zone-1', 'zone-10'),
  sensorType: fc.constantFrom<SensorType>(...SENSOR_TYPES),
  value: valueArb,
  tsEventMs: tsArb,
});

describe('windowStartMs', () => {
  it.each([
    ['a reading on the window start', T0, 5 * MIN, T0],
    ['the last ms of a window', T0 + 5 * MIN - 1, 5 * MIN, T0],
    ['the first ms of the next window', T0 + 5 * MIN, 5 * MIN, T0 + 5 * MIN],
    ['one ms before a window', T0 - 1, 5 * MIN, T0 - 5 * MIN],
    ['the epoch', 0, MIN, 0],
    ['just before the epoch (floor, not truncation)', -1, MIN, -MIN],
    ['a negative window start', -MIN, MIN, -MIN],
    ['one ms before a negative window start', -MIN - 1, MIN, -2 * MIN],
    [
      'the last ms of a UTC day, daily window',
      Date.UTC(2024, 4, 1, 23, 59, 59, 999),
      DAY,
      Date.UTC(2024, 4, 1),
    ],
    ['a leap day, daily window', Date.UTC(2024, 1, 29, 7), DAY, Date.UTC(2024, 1, 29)],
    ['a 15-minute window', T0 + 29 * MIN, 15 * MIN, T0 + 15 * MIN],
  ])('places %s', (_name, ts, width, start) => {
    expect(windowStartMs(ts, width)).toBe(start);
  });

  it('puts every timestamp in [start, start + width) with start a multiple of width', () => {
    // |ts| <= 2^50 and width < 2^31 keep start + width an exact integer.
    const bound = 2 ** 50;
    fc.assert(
      fc.property(
        fc.integer({ min: -bound, max: bound }),
        fc.oneof(
          fc.constantFrom(SEC, MIN, 5 * MIN, 15 * MIN, HOUR, DAY),
          fc.integer({ min: 1, max: 2 ** 31 }),
        ),
        (ts, width) => {
          const start = windowStartMs(ts, width);
          expect(start).toBeLessThanOrEqual(ts);
          expect(ts).toBeLessThan(start + width);
          expect(Number.isInteger(start / width)).toBe(true);
          // windows tile the line: the start is its own window, and the ms before it the previous one
          expect(windowStartMs(start, width)).toBe(start);
          expect(windowStartMs(start - 1, width)).toBe(start - width);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('singleValue and mergeAggregates', () => {
  it.each([
    [3, { count: 1, sum: 3, sumSq: 9, min: 3, max: 3 }],
    [-2.5, { count: 1, sum: -2.5, sumSq: 6.25, min: -2.5, max: -2.5 }],
    [0, { count: 1, sum: 0, sumSq: 0, min: 0, max: 0 }],
  ])('summarises the single value %p', (value, agg) => {
    expect(singleValue(value)).toEqual(agg);
  });

  it('merges counts, sums, minima and maxima', () => {
    expect(mergeAggregates(aggregateOf([400, 600]), aggregateOf([-5, 1_000, 2]))).toEqual({
      count: 5,
      sum: 1_997,
      sumSq: 160_000 + 360_000 + 25 + 1_000_000 + 4,
      min: -5,
      max: 1_000,
    });
  });

  it('is commutative', () => {
    fc.assert(
      fc.property(valuesArb, valuesArb, (xs, ys) => {
        const a = aggregateOf(xs);
        const b = aggregateOf(ys);
        // IEEE addition is commutative, so even the sums agree exactly
        expect(mergeAggregates(a, b)).toEqual(mergeAggregates(b, a));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is associative (sums up to rounding)', () => {
    fc.assert(
      fc.property(valuesArb, valuesArb, valuesArb, (xs, ys, zs) => {
        const [a, b, c] = [aggregateOf(xs), aggregateOf(ys), aggregateOf(zs)];
        expectSameAggregate(
          mergeAggregates(mergeAggregates(a, b), c),
          mergeAggregates(a, mergeAggregates(b, c)),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives the same summary however the readings are grouped before merging', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(valueArb, fc.nat({ max: 3 })), { minLength: 1, maxLength: 40 }),
        (tagged) => {
          const whole = aggregateOf(tagged.map(([v]) => v));
          const groups = [0, 1, 2, 3]
            .map((g) => tagged.filter(([, t]) => t === g).map(([v]) => v))
            .filter((g) => g.length > 0)
            .map(aggregateOf);
          const merged = groups.reduce((acc, g) => mergeAggregates(acc, g));
          expectSameAggregate(merged, whole);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('sampleVariance', () => {
  it.each([
    ['one reading', [21.5], undefined],
    ['two readings', [1, 3], 2],
    ['the textbook sample', [2, 4, 4, 4, 5, 5, 7, 9], 32 / 7],
    ['a negative range', [-10, -20, -30], 100],
  ])('of %s', (_name, values, variance) => {
    const v = sampleVariance(aggregateOf(values));
    if (variance === undefined) expect(v).toBeUndefined();
    else expect(v).toBeCloseTo(variance, 9);
  });

  it('is zero, never negative, for identical readings', () => {
    const v = sampleVariance(aggregateOf(Array.from({ length: 50 }, () => 21.3)));
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeCloseTo(0, 9);
  });

  it('clamps a rounding-negative numerator to 0', () => {
    expect(sampleVariance({ count: 2, sum: 2, sumSq: 2 - 1e-12, min: 1, max: 1 })).toBe(0);
  });

  it('matches a two-pass computation', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 2, maxLength: 50 }), (values) => {
        const agg = aggregateOf(values);
        const n = values.length;
        const mean = values.reduce((s, v) => s + v, 0) / n;
        const twoPass = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
        const v = sampleVariance(agg);
        expect(v).toBeGreaterThanOrEqual(0);
        // The one-pass formula cancels sumSq against sum^2/n, so its error scales with sumSq/(n-1), not
        // with the variance itself: readings far from zero with a tiny spread lose relative precision.
        expect(Math.abs((v ?? Number.NaN) - twoPass)).toBeLessThanOrEqual(1e-10 * (1 + agg.sumSq / (n - 1)));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('aggregateIntoWindows', () => {
  it('assigns each reading to one window per width and merges readings sharing a window', () => {
    const r = (sensorType: SensorType, value: number, tsEventMs: number): Reading => ({
      siteId: 'site-1',
      zoneId: 'zone-1',
      sensorType,
      value,
      tsEventMs,
    });
    const out = aggregateIntoWindows(
      [r('co2', 400, T0 + 10 * SEC), r('co2', 600, T0 + 70 * SEC), r('temperature', 21, T0 + 10 * SEC)],
      [60, 300],
    );
    const key = (windowSeconds: number, sensorType: SensorType, windowStartMs: number) => ({
      windowSeconds,
      siteId: 'site-1',
      zoneId: 'zone-1',
      sensorType,
      windowStartMs,
    });
    expect(out).toHaveLength(5);
    expect(out).toEqual(
      expect.arrayContaining([
        { key: key(60, 'co2', T0), agg: singleValue(400) },
        { key: key(60, 'co2', T0 + MIN), agg: singleValue(600) },
        { key: key(60, 'temperature', T0), agg: singleValue(21) },
        { key: key(300, 'co2', T0), agg: aggregateOf([400, 600]) },
        { key: key(300, 'temperature', T0), agg: singleValue(21) },
      ]),
    );
  });

  it('returns nothing for no readings or no widths', () => {
    expect(aggregateIntoWindows([], [60, 300])).toEqual([]);
    expect(
      aggregateIntoWindows([{ siteId: 's', zoneId: 'z', sensorType: 'co2', value: 1, tsEventMs: T0 }], []),
    ).toEqual([]);
  });

  it('matches a reading-by-reading model: one sorted entry per key, counts = readings x widths', () => {
    fc.assert(
      fc.property(fc.array(readingArb, { maxLength: 60 }), widthsArb, (readings, widths) => {
        const out = aggregateIntoWindows(readings, widths);
        const ids = out.map((w) => windowKeyId(w.key));
        // sorted by key, one entry per key
        expect(ids).toEqual([...new Set(ids)].sort());
        expect(out.reduce((n, w) => n + w.agg.count, 0)).toBe(readings.length * widths.length);

        const mismatches = out.flatMap(({ key, agg }) => {
          const members = readings.filter(
            (e) =>
              e.siteId === key.siteId &&
              e.zoneId === key.zoneId &&
              e.sensorType === key.sensorType &&
              windowStartMs(e.tsEventMs, key.windowSeconds * SEC) === key.windowStartMs,
          );
          if (!widths.includes(key.windowSeconds) || members.length === 0) {
            return [`window ${JSON.stringify(key)} holds no reading`];
          }
          return aggregateMismatch(agg, aggregateOf(members.map((e) => e.value))) ?? [];
        });
        expect(mismatches).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('orders its output the same whatever the order of the readings (one lock order for all)', () => {
    fc.assert(
      fc.property(
        fc
          .array(readingArb, { maxLength: 40 })
          .chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length }))),
        widthsArb,
        ([readings, shuffled], widths) => {
          const keys = (rs: Reading[]) => aggregateIntoWindows(rs, widths).map((w) => windowKeyId(w.key));
          expect(keys(shuffled)).toEqual(keys(readings));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('aggregating a whole list equals aggregating any split of it into batches, then merging by key', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(readingArb, fc.nat({ max: 3 })), { maxLength: 60 }),
        widthsArb,
        (tagged, widths) => {
          const readings = tagged.map(([e]) => e);
          const whole = aggregateIntoWindows(readings, widths);
          const batches = [0, 1, 2, 3].map((b) =>
            aggregateIntoWindows(
              tagged.filter(([, t]) => t === b).map(([e]) => e),
              widths,
            ),
          );
          const merged = mergeByKey(batches);
          expect([...merged.keys()].sort()).toEqual(whole.map((w) => windowKeyId(w.key)));
          const mismatches = whole.flatMap((w) => {
            const m = merged.get(windowKeyId(w.key));
            if (!m) return [`window ${JSON.stringify(w.key)} missing after the merge`];
            return aggregateMismatch(m.agg, w.agg) ?? [];
          });
          expect(mismatches).toEqual([]);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

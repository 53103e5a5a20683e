import fc from 'fast-check';
import {
  DAY_MS,
  partitionsToCreate,
  partitionsToDrop,
  rawHorizonMs,
  splitExpired,
  windowHorizonMs,
  type StoragePolicy,
} from '../../../services/processor/src/domain/retention';
import {
  aggregateIntoWindows,
  rollUpWindows,
  withRollUps,
  windowKeyId,
} from '../../../services/processor/src/domain/windows';

const policy: StoragePolicy = {
  rawRetentionMs: 7 * DAY_MS,
  partitionMs: DAY_MS,
  partitionsAhead: 2,
  windowSeconds: [300, 900, 3600, 86_400],
  windowRetentionMs: new Map([[300, 90 * DAY_MS]]),
};
const NOW = Date.UTC(2026, 11, 3, 10, 30); // epoch ms

describe('storage lifecycle rules', () => {
  it('creates the current partition and the ones ahead, aligned to UTC midnight', () => {
    expect(partitionsToCreate(NOW, policy).map((p) => new Date(p.fromMs).toISOString())).toEqual([
      '2026-12-03T00:00:00.000Z',
      '2026-12-04T00:00:00.000Z',
      '2026-12-05T00:00:00.000Z',
    ]);
  });

  it('keeps at least the retention: the horizon is the retention rounded down to a partition edge', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 60 }), (now, days) => {
        const h = rawHorizonMs(now, { ...policy, rawRetentionMs: days * DAY_MS });
        expect(h).toBeLessThanOrEqual(now - days * DAY_MS);
        expect(now - days * DAY_MS - h).toBeLessThan(DAY_MS);
        expect(Math.abs(h % DAY_MS)).toBe(0);
      }),
    );
  });

  it('drops only partitions wholly before the horizon, oldest first, the migrated table included', () => {
    const h = rawHorizonMs(NOW, policy);
    const parts = [
      { name: 'p2', fromMs: h - DAY_MS, toMs: h },
      { name: 'p3', fromMs: h, toMs: h + DAY_MS },
      { name: 'legacy', fromMs: null, toMs: h - DAY_MS },
    ];
    expect(partitionsToDrop(parts, h).map((p) => p.name)).toEqual(['legacy', 'p2']);
  });

  it('splits expired readings at the horizon (a reading at the horizon is kept)', () => {
    const h = rawHorizonMs(NOW, policy);
    const { kept, expired } = splitExpired([{ tsEventMs: h - 1 }, { tsEventMs: h }, { tsEventMs: NOW }], h);
    expect({ kept: kept.map((r) => r.tsEventMs), expired }).toEqual({ kept: [h, NOW], expired: 1 });
    expect(splitExpired([{ tsEventMs: 0 }], Number.NEGATIVE_INFINITY).expired).toBe(0);
  });

  it('removes windows by whole UTC days', () => {
    expect(new Date(windowHorizonMs(NOW, 90 * DAY_MS)).toISOString()).toBe('2026-09-04T00:00:00.000Z');
  });
});

describe('roll-up tiers from 15 m windows', () => {
  const arb = fc.array(
    fc.record({
      siteId: fc.constantFrom('s1', 's2'),
      zoneId: fc.constantFrom('z1', 'z2'),
      sensorType: fc.constantFrom('co2' as const, 'temperature' as const),
      value: fc.integer({ min: -1000, max: 1000 }),
      tsEventMs: fc.integer({ min: NOW - 3 * DAY_MS, max: NOW }),
    }),
    { maxLength: 200 },
  );

  it('equal the windows aggregated straight from the readings (integers: sums exact)', () => {
    fc.assert(
      fc.property(arb, (events) => {
        const fifteen = aggregateIntoWindows(events, [900]);
        expect(rollUpWindows(fifteen, 900, [3600, 86_400])).toEqual(
          aggregateIntoWindows(events, [3600, 86_400]),
        );
      }),
    );
  });

  it('come in one list sorted by key with the windows (the lock order)', () => {
    fc.assert(
      fc.property(arb, (events) => {
        const all = withRollUps(aggregateIntoWindows(events, [300, 900]), 900, [3600, 86_400]);
        const ids = all.map((w) => windowKeyId(w.key));
        expect(ids).toEqual([...ids].sort());
        expect(new Set(all.map((w) => w.key.windowSeconds))).toEqual(
          new Set(events.length ? [300, 900, 3600, 86_400] : []),
        );
      }),
    );
  });
});

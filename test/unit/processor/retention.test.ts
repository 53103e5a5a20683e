import fc from 'fast-check';
import {
  DAY_MS,
  MAX_RAW_PARTITIONS,
  partitionsToCreate,
  rawPartitionsKept,
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
  deadLetterRetentionMs: 30 * DAY_MS,
  notificationRetentionMs: 30 * DAY_MS,
};
const NOW = Date.UTC(2026, 11, 3, 10, 30); // epoch ms

describe('storage lifecycle rules', () => {
  it('creates every partition from the horizon to the ones ahead, aligned to UTC midnight', () => {
    const h = rawHorizonMs(NOW, policy);
    expect(partitionsToCreate(NOW, h, policy, []).map((p) => new Date(p.fromMs).toISOString())).toEqual([
      '2026-11-26T00:00:00.000Z', // the horizon: 7 days before 2026-12-03 10:30, rounded down
      '2026-11-27T00:00:00.000Z',
      '2026-11-28T00:00:00.000Z',
      '2026-11-29T00:00:00.000Z',
      '2026-11-30T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2026-12-02T00:00:00.000Z',
      '2026-12-03T00:00:00.000Z',
      '2026-12-04T00:00:00.000Z',
      '2026-12-05T00:00:00.000Z',
    ]);
  });

  it('skips what existing partitions cover, the migrated table below its last day included', () => {
    const today = Date.UTC(2026, 11, 3);
    const existing = [
      { name: 'raw_events_legacy', fromMs: null, toMs: today - 2 * DAY_MS },
      { name: 'raw_events_p20261203', fromMs: today, toMs: today + DAY_MS },
    ];
    const created = partitionsToCreate(NOW, rawHorizonMs(NOW, policy), policy, existing);
    expect(created.map((p) => new Date(p.fromMs).toISOString())).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2026-12-02T00:00:00.000Z',
      '2026-12-04T00:00:00.000Z',
      '2026-12-05T00:00:00.000Z',
    ]);
  });

  it('starts at the committed horizon when it is past the policy own, and never before the latter', () => {
    const h = rawHorizonMs(NOW, policy);
    // A retention shortened and lengthened again: the committed horizon stays where it got to.
    expect(partitionsToCreate(NOW, h + 3 * DAY_MS, policy, [])[0]?.fromMs).toBe(h + 3 * DAY_MS);
    // A horizon not yet committed (-infinity in storage_horizons).
    expect(partitionsToCreate(NOW, Number.NEGATIVE_INFINITY, policy, [])[0]?.fromMs).toBe(h);
  });

  it('leaves no gap and no overlap from the horizon to the last partition ahead, whatever exists', () => {
    const day = fc.integer({ min: -12, max: 4 }).map((d) => Date.UTC(2026, 11, 3) + d * DAY_MS);
    const existingPartition = fc
      .tuple(fc.option(day, { nil: null }), fc.integer({ min: 1, max: 7 }))
      .map(([fromMs, days]) => ({
        name: 'p',
        fromMs,
        toMs: (fromMs ?? Date.UTC(2026, 10, 20)) + days * DAY_MS,
      }));
    fc.assert(
      fc.property(
        fc.array(existingPartition, { maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (parts, w) => {
          // Existing partitions never overlap one another (PostgreSQL refused that when they were attached).
          const existing = parts
            .sort((a, b) => (a.fromMs ?? -Infinity) - (b.fromMs ?? -Infinity))
            .filter((p, i, all) => all.slice(0, i).every((q) => q.toMs <= (p.fromMs ?? -Infinity)));
          const pol = { ...policy, partitionMs: w * DAY_MS };
          const h = rawHorizonMs(NOW, pol);
          const created = partitionsToCreate(NOW, h, pol, existing);
          const overlaps = (p: { fromMs: number | null; toMs: number }, from: number, to: number): boolean =>
            (p.fromMs ?? -Infinity) < to && from < p.toMs;
          // Each slot from the horizon to the last one ahead is created exactly when nothing covers any of it.
          const last =
            Math.floor(NOW / pol.partitionMs) * pol.partitionMs + pol.partitionsAhead * pol.partitionMs;
          const expected = [];
          for (let from = h; from <= last; from += pol.partitionMs) {
            const to = from + pol.partitionMs;
            if (!existing.some((p) => overlaps(p, from, to))) expected.push({ fromMs: from, toMs: to });
          }
          expect(created).toEqual(expected);
          for (const c of created) expect(existing.filter((p) => overlaps(p, c.fromMs, c.toMs))).toEqual([]);
        },
      ),
    );
  });

  it('refuses nothing a sane policy keeps, and counts what it keeps', () => {
    expect(rawPartitionsKept(policy)).toBe(10);
    expect(rawPartitionsKept({ ...policy, rawRetentionMs: 365 * DAY_MS, partitionMs: 7 * DAY_MS })).toBe(56);
    expect(MAX_RAW_PARTITIONS).toBeGreaterThan(
      rawPartitionsKept({ ...policy, rawRetentionMs: 400 * DAY_MS }),
    );
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

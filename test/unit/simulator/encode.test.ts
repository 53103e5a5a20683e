import fc from 'fast-check';
import { SENSOR_TYPES, serializeEvent, type TelemetryEvent } from '@telemetry-pulse/shared/core';
import { createEventEncoder } from '@telemetry-pulse/simulator';

const event: fc.Arbitrary<TelemetryEvent> = fc.record({
  eventId: fc.uuid({ version: 4 }),
  deviceId: fc.string({ minLength: 1 }),
  siteId: fc.string({ minLength: 1 }),
  zoneId: fc.string({ minLength: 1 }),
  sensorType: fc.constantFrom(...SENSOR_TYPES),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  tsEventMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
  unit: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
});

describe('createEventEncoder', () => {
  it('writes exactly what serializeEvent writes, for any event', () => {
    // One encoder across all runs, so its per-device and per-sensor caches are exercised with changing
    // site, zone and unit for the same keys.
    const encoder = createEventEncoder();
    fc.assert(
      fc.property(event, (e) => {
        expect(encoder.encode(e).toString('utf8')).toBe(serializeEvent(e));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reuses the cached timestamp only for the same instant', () => {
    const encoder = createEventEncoder();
    const base: TelemetryEvent = {
      eventId: '0b6f7c1e-3d5a-4f2e-9a1b-2c3d4e5f6a7b',
      deviceId: 'site-01-zone-01-dev-01',
      siteId: 'site-01',
      zoneId: 'site-01-zone-01',
      sensorType: 'co2',
      value: 612,
      tsEventMs: Date.UTC(2025, 0, 15, 9),
      unit: 'ppm',
    };
    const later = { ...base, tsEventMs: base.tsEventMs + 1 };
    expect(encoder.encode(base).toString()).toBe(serializeEvent(base));
    expect(encoder.encode(later).toString()).toBe(serializeEvent(later));
    expect(encoder.encode(base).toString()).toBe(serializeEvent(base));
  });

  it('never rewrites the bytes of a message it handed out, across many slabs', () => {
    const encoder = createEventEncoder();
    const events = Array.from({ length: 5_000 }, (_, i) => ({
      eventId: `0b6f7c1e-3d5a-4f2e-9a1b-${String(i).padStart(12, '0')}`,
      deviceId: `site-01-zone-01-dev-${i % 7}`,
      siteId: 'site-01',
      zoneId: 'site-01-zone-01',
      sensorType: SENSOR_TYPES[i % 4] ?? 'co2',
      value: i / 7,
      tsEventMs: Date.UTC(2025, 0, 15) + i * 1_000,
      unit: 'x',
    }));
    const encoded = events.map((e) => encoder.encode(e));
    encoded.forEach((bytes, i) => expect(bytes.toString()).toBe(serializeEvent(events[i] as TelemetryEvent)));
  });
});

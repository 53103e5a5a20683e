import fc from 'fast-check';
import {
  parseEvent,
  SENSOR_RANGES,
  SENSOR_TYPES,
  serializeEvent,
  validateEvent,
} from '@telemetry-pulse/shared';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 2_000);

const valid = {
  event_id: '3f2b8c1e-9a4d-4c6e-8f00-1a2b3c4d5e6f',
  device_id: 'dev-1',
  site_id: 'site-1',
  zone_id: 'zone-1',
  sensor_type: 'co2',
  value: 612.5,
  ts_event: '2024-05-01T12:00:00',
};

describe('event schema v1', () => {
  it('accepts the Python original format, reading a timestamp without offset as UTC', () => {
    const r = parseEvent(JSON.stringify(valid));
    expect(r).toEqual({
      ok: true,
      event: {
        eventId: valid.event_id,
        deviceId: 'dev-1',
        siteId: 'site-1',
        zoneId: 'zone-1',
        sensorType: 'co2',
        value: 612.5,
        tsEventMs: Date.UTC(2024, 4, 1, 12),
        unit: null,
      },
    });
  });

  it.each([
    ['2024-05-01T12:00:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T14:00:00+02:00', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T07:00:00-0500', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01 12:00:00.123456', Date.UTC(2024, 4, 1, 12, 0, 0, 123)],
    ['2024-05-01T12:00', Date.UTC(2024, 4, 1, 12)],
    [Date.UTC(2024, 4, 1, 12), Date.UTC(2024, 4, 1, 12)],
  ])('reads ts_event %p', (ts, ms) => {
    const r = validateEvent({ ...valid, ts_event: ts });
    expect(r.ok && r.event.tsEventMs).toBe(ms);
  });

  it.each([
    ['epoch seconds', { ts_event: 1714564800 }, /epoch seconds/],
    ['an impossible date', { ts_event: '2024-02-30T00:00:00Z' }, /day out of range/],
    ['a date before 2000', { ts_event: '1999-12-31T23:59:59Z' }, /outside/],
    ['CO2 above 10000 ppm', { value: 10_001 }, /co2 must be within/],
    ['humidity below 0', { sensor_type: 'humidity', value: -1 }, /humidity/],
    ['a string value', { value: '612' }, /value/],
    ['an unknown sensor', { sensor_type: 'noise' }, /sensor_type/],
    ['a non-UUID id', { event_id: 'abc' }, /UUID/],
    ['a NUL in an id', { device_id: 'dev\u0000' }, /control characters/],
    ['an over-long id', { zone_id: 'z'.repeat(129) }, /zone_id/],
    ['schema version 2', { schema_version: 2 }, /schema_version/],
  ])('refuses %s', (_name, patch, message) => {
    const r = validateEvent({ ...valid, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('SCHEMA_VIOLATION');
      expect(r.message).toMatch(message);
    }
  });

  // Regression (found by test/integration/hostile-input.test.ts): a NUL in `unit` passed validation, then
  // PostgreSQL refused the text and the whole batch failed on every retry, stalling its partition.
  it('refuses control characters in unit, which is stored as text', () => {
    for (const unit of ['ppm\u0000', '\u0000', 'p\u001fm', 'ppm\u007f']) {
      expect(validateEvent({ ...valid, unit })).toMatchObject({ ok: false, code: 'SCHEMA_VIOLATION' });
    }
    expect(validateEvent({ ...valid, unit: 'µg/m³' })).toMatchObject({ ok: true });
    expect(validateEvent({ ...valid, unit: '' })).toMatchObject({ ok: true });
  });

  it('refuses Infinity from 1e999', () => {
    const r = parseEvent(JSON.stringify(valid).replace('612.5', '1e999'));
    expect(r).toMatchObject({ ok: false, code: 'SCHEMA_VIOLATION' });
  });

  it('classifies empty, oversized and unparsable messages', () => {
    expect(parseEvent(null)).toMatchObject({ ok: false, code: 'EMPTY_MESSAGE' });
    expect(parseEvent(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'EMPTY_MESSAGE' });
    expect(parseEvent('x'.repeat(20_000))).toMatchObject({ ok: false, code: 'MESSAGE_TOO_LARGE' });
    expect(parseEvent('{"event_id":')).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    expect(parseEvent('[1,2]')).toMatchObject({ ok: false, code: 'SCHEMA_VIOLATION' });
  });

  it('ignores unknown fields and is unharmed by __proto__ keys', () => {
    const text = JSON.stringify({ ...valid, extra: 1 }).replace('{', '{"__proto__":{"polluted":true},');
    const r = parseEvent(text);
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    if (r.ok) expect(Object.keys(r.event)).not.toContain('extra');
  });

  it('round-trips through serializeEvent', () => {
    const r = validateEvent(valid);
    if (!r.ok) throw new Error(r.message);
    expect(parseEvent(serializeEvent(r.event))).toEqual(r);
  });

  describe('properties', () => {
    // eslint-disable-next-line no-control-regex -- the property is exactly "no control characters"
    const CONTROL = /[\u0000-\u001f\u007f]/;
    const validEvent = fc
      .record({
        event_id: fc.uuid(),
        device_id: fc
          .string({ minLength: 1, maxLength: 128, unit: 'grapheme-ascii' })
          .filter((s) => !CONTROL.test(s)),
        site_id: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        zone_id: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        sensor_type: fc.constantFrom(...SENSOR_TYPES),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
        ts: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
      })
      .map(({ fraction, ts, ...rest }) => {
        const range = SENSOR_RANGES[rest.sensor_type];
        return {
          ...rest,
          value: range.min + fraction * (range.max - range.min),
          ts_event: new Date(ts).toISOString(),
        };
      });

    it('never throws, on any JSON value or any bytes', () => {
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => {
          let text: string | undefined;
          try {
            text = JSON.stringify(value);
          } catch {
            text = undefined;
          }
          parseEvent(text ?? null);
          validateEvent(value);
        }),
        { numRuns: NUM_RUNS },
      );
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void parseEvent(Buffer.from(bytes))),
        {
          numRuns: NUM_RUNS,
        },
      );
    });

    it('accepts every event within the documented bounds', () => {
      fc.assert(
        fc.property(validEvent, (event) => {
          const r = validateEvent(event);
          expect(r.ok).toBe(true);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('accepts only values within the sensor range, with a UUID and a bounded timestamp', () => {
      fc.assert(
        fc.property(validEvent, fc.double(), fc.oneof(fc.string(), fc.integer()), (event, value, ts) => {
          const r = validateEvent({ ...event, value, ts_event: ts });
          if (r.ok) {
            const range = SENSOR_RANGES[r.event.sensorType];
            expect(Number.isFinite(r.event.value)).toBe(true);
            expect(r.event.value).toBeGreaterThanOrEqual(range.min);
            expect(r.event.value).toBeLessThanOrEqual(range.max);
            expect(r.event.tsEventMs).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
            expect(r.event.tsEventMs).toBeLessThan(Date.UTC(2100, 0, 1));
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  });
});

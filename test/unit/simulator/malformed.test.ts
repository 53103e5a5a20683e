import fc from 'fast-check';
import {
  parseEvent,
  SENSOR_RANGES,
  SENSOR_TYPES,
  serializeEvent,
  type TelemetryEvent,
} from '@telemetry-pulse/shared/core';
import { createRandom, MALFORMED_VARIANTS, malformMessage } from '@telemetry-pulse/simulator';

/** Valid events, as the simulator makes them: ids without control characters, values within range. */
const validEvent: fc.Arbitrary<TelemetryEvent> = fc
  .record({
    eventId: fc.uuid({ version: 4 }),
    deviceId: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
    siteId: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
    zoneId: fc.stringMatching(/^[a-z0-9-]{1,30}$/),
    sensorType: fc.constantFrom(...SENSOR_TYPES),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    tsEventMs: fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2098, 0, 1) }),
  })
  .map(({ fraction, ...e }) => {
    const range = SENSOR_RANGES[e.sensorType];
    return { ...e, value: range.min + fraction * (range.max - range.min), unit: range.unit };
  });

describe('malformMessage', () => {
  it('starts from events that parse', () => {
    fc.assert(fc.property(validEvent, (e) => expect(parseEvent(serializeEvent(e)).ok).toBe(true)));
  });

  it.each(MALFORMED_VARIANTS)('makes %s messages that parseEvent always refuses', (variant) => {
    fc.assert(
      fc.property(validEvent, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (e, seed) => {
        const text = malformMessage(e, variant, createRandom(seed));
        const parsed = parseEvent(text);
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) {
          expect(parsed.code).toBe(variant === 'invalid-json' ? 'INVALID_JSON' : 'SCHEMA_VIOLATION');
        }
      }),
      { numRuns: 500 },
    );
  });
});

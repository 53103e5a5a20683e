import { SENSOR_RANGES, serializeEvent, type TelemetryEvent } from '@telemetry-pulse/shared/core';
import type { Random } from './random';

/** The ways a broken producer mangles a message; every variant fails `parseEvent`. */
export type MalformedVariant = 'invalid-json' | 'wrong-type' | 'out-of-range' | 'missing-field';

export const MALFORMED_VARIANTS: readonly MalformedVariant[] = [
  'invalid-json',
  'wrong-type',
  'out-of-range',
  'missing-field',
];

const REQUIRED_FIELDS = [
  'event_id',
  'device_id',
  'site_id',
  'zone_id',
  'sensor_type',
  'value',
  'ts_event',
] as const;

/** Wrong-type edits, each one a mistake seen from real firmware (numbers as text, nulls, epoch seconds as text). */
const WRONG_TYPES: readonly ((wire: Record<string, unknown>) => void)[] = [
  (w) => (w['value'] = String(w['value'])),
  (w) => (w['value'] = null),
  (w) => (w['ts_event'] = { seconds: 1 }),
  (w) => (w['device_id'] = 42),
  (w) => (w['sensor_type'] = 'co_2'),
];

function invalidJson(text: string, random: Random): string {
  switch (random.int(0, 2)) {
    case 0: // cut off mid-message, as a torn write leaves it
      return text.slice(0, random.int(1, text.length - 1));
    case 1: // Python repr instead of JSON
      return text.replaceAll('"', "'");
    default: // NaN is not JSON, though JavaScript and Python print it
      return text.replace(/"value":[^,}]+/, '"value":NaN');
  }
}

/** Turns a good event into a message the processor must dead-letter, of the given variant. */
export function malformMessage(event: TelemetryEvent, variant: MalformedVariant, random: Random): string {
  const text = serializeEvent(event);
  if (variant === 'invalid-json') return invalidJson(text, random);
  const wire = JSON.parse(text) as Record<string, unknown>;
  switch (variant) {
    case 'wrong-type':
      random.pick(WRONG_TYPES)(wire);
      break;
    case 'out-of-range': {
      const range = SENSOR_RANGES[event.sensorType];
      const span = range.max - range.min;
      wire['value'] =
        random.next() < 0.5 ? range.min - random.between(1, span) : range.max + random.between(1, span);
      break;
    }
    case 'missing-field': {
      const missing = random.pick(REQUIRED_FIELDS);
      return JSON.stringify(Object.fromEntries(Object.entries(wire).filter(([field]) => field !== missing)));
    }
  }
  return JSON.stringify(wire);
}

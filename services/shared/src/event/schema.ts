import { z } from 'zod';
import { SENSOR_RANGES, SENSOR_TYPES, type SensorType } from './sensor';
import { hexPreview, invalidUtf8Offset, printableText } from './printable';
import { MAX_EVENT_MS, MIN_EVENT_MS, isoTimestampMs, parseEpochMillis, parseIsoTimestamp } from './timestamp';

/** Messages larger than this are refused before JSON parsing (a v1 event is ~250 bytes). */
export const MAX_EVENT_BYTES = 16 * 1024;
export const MAX_ID_LENGTH = 128;

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/**
 * Text the pipeline stores or looks up (ids, unit): no control characters. PostgreSQL text cannot hold
 * NUL, and control characters in ids only ever mean a broken producer. The API's parameters obey it too.
 */
// eslint-disable-next-line no-control-regex
export const PRINTABLE_RE = /^[^\u0000-\u001f\u007f]*$/;

const idField = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(PRINTABLE_RE, { message: 'must not contain control characters' });

/**
 * Wire format v1, as the Python original produced it: snake_case fields, `ts_event` as ISO-8601
 * (no offset = UTC) or epoch milliseconds. Unknown fields are ignored. The output is the normalised
 * {@link TelemetryEvent}.
 */
export const eventV1Schema = z
  .object({
    event_id: z.string().regex(UUID_RE, { message: 'must be a UUID' }),
    device_id: idField,
    site_id: idField,
    zone_id: idField,
    sensor_type: z.enum(SENSOR_TYPES),
    value: z.number(),
    ts_event: z.union([z.string(), z.number()]),
    // Stored as text like the ids, so it obeys the same rule: a NUL here once passed validation and then
    // failed every insert of its batch, stalling the partition (test: hostile-input, 'NUL in unit').
    unit: z
      .string()
      .max(16)
      .regex(PRINTABLE_RE, { message: 'must not contain control characters' })
      .nullish(),
    schema_version: z.literal(1).optional(),
  })
  .transform((wire, ctx): TelemetryEvent => {
    const range = SENSOR_RANGES[wire.sensor_type];
    if (wire.value < range.min || wire.value > range.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `${wire.sensor_type} must be within ${range.min}..${range.max} ${range.unit}`,
      });
    }
    const ts =
      typeof wire.ts_event === 'string' ? parseIsoTimestamp(wire.ts_event) : parseEpochMillis(wire.ts_event);
    if (!ts.ok) ctx.addIssue({ code: 'custom', path: ['ts_event'], message: ts.reason });
    return {
      eventId: wire.event_id.toLowerCase(),
      deviceId: wire.device_id,
      siteId: wire.site_id,
      zoneId: wire.zone_id,
      sensorType: wire.sensor_type,
      value: wire.value,
      tsEventMs: ts.ok ? ts.ms : Number.NaN,
      unit: wire.unit ?? null,
    };
  });

/** A validated, normalised telemetry reading. */
export interface TelemetryEvent {
  readonly eventId: string;
  readonly deviceId: string;
  readonly siteId: string;
  readonly zoneId: string;
  readonly sensorType: SensorType;
  readonly value: number;
  /** Event time, epoch milliseconds UTC. */
  readonly tsEventMs: number;
  readonly unit: string | null;
}

/** The wire shape accepted on `telemetry.events` (input side of {@link eventV1Schema}). */
export type EventV1Wire = z.input<typeof eventV1Schema>;

/** Closed set of reasons a message is refused; each becomes a dead-letter `error-code` header. */
export type EventErrorCode = 'EMPTY_MESSAGE' | 'MESSAGE_TOO_LARGE' | 'INVALID_JSON' | 'SCHEMA_VIOLATION';

export type ParseResult =
  { ok: true; event: TelemetryEvent } | { ok: false; code: EventErrorCode; message: string };

/**
 * Decodes and validates one message value. Never throws, whatever the bytes: a refusal carries a code
 * and a message naming every offending field.
 */
export function parseEvent(raw: Buffer | string | null | undefined): ParseResult {
  if (raw === null || raw === undefined || raw.length === 0) {
    return { ok: false, code: 'EMPTY_MESSAGE', message: 'message has no value (tombstone or empty)' };
  }
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_EVENT_BYTES) {
    return {
      ok: false,
      code: 'MESSAGE_TOO_LARGE',
      message: `message is ${size} bytes; limit ${MAX_EVENT_BYTES}`,
    };
  }
  const text = typeof raw === 'string' ? raw : decodeUtf8(raw);
  if (typeof text !== 'string') return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the characters it choked on, NUL included: escaped, the text can be stored and shown.
    const message = printableText(err instanceof Error ? err.message : 'invalid JSON');
    return { ok: false, code: 'INVALID_JSON', message };
  }
  return validateEvent(json);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Message bytes as text, or the refusal: JSON on the wire is UTF-8 (RFC 8259), and decoding invalid bytes
 * leniently would turn them into U+FFFD, so `dev\xff` and `dev\xfe` would become the same device.
 */
function decodeUtf8(raw: Buffer): string | ParseResult {
  if (raw[0] === 0) {
    return {
      ok: false,
      code: 'INVALID_JSON',
      message: `message starts with a zero byte (${hexPreview(raw)}), as schema-registry framing (Confluent, Apicurio) does; the events topic takes plain UTF-8 JSON`,
    };
  }
  try {
    return UTF8.decode(raw);
  } catch {
    const at = invalidUtf8Offset(raw);
    return {
      ok: false,
      code: 'INVALID_JSON',
      message: `message is not valid UTF-8: byte ${at} (${hexPreview(raw.subarray(at), 4)}) breaks it`,
    };
  }
}

/** Validates an already-decoded value against schema v1. Never throws. */
export function validateEvent(json: unknown): ParseResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, code: 'SCHEMA_VIOLATION', message: 'event must be a JSON object' };
  }
  const fast = acceptWellFormedEvent(json as Record<string, unknown>);
  if (fast !== null) return { ok: true, event: fast };
  const result = eventV1Schema.safeParse(json);
  if (result.success) return { ok: true, event: result.data };
  const message = result.error.issues
    .slice(0, 8)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, code: 'SCHEMA_VIOLATION', message };
}

const SENSOR_TYPE_SET: ReadonlySet<string> = new Set(SENSOR_TYPES);

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= MAX_ID_LENGTH && isPrintable(v);
}

/** What {@link PRINTABLE_RE} tests, code unit by code unit: half the regex's time on short ids. */
function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/**
 * The event a well-formed message describes, checked field by field by hand, or null for anything else,
 * which {@link eventV1Schema} then judges and explains. It accepts only what the schema accepts and returns
 * what the schema returns (a property test holds the two together): schema validation was a quarter of the
 * processor's CPU time, and nearly every message on the topic is well-formed.
 */
export function acceptWellFormedEvent(o: Record<string, unknown>): TelemetryEvent | null {
  const { event_id, device_id, site_id, zone_id, sensor_type, value, ts_event, unit, schema_version } = o;
  if (typeof event_id !== 'string' || !UUID_RE.test(event_id)) return null;
  if (!isId(device_id) || !isId(site_id) || !isId(zone_id)) return null;
  if (typeof sensor_type !== 'string' || !SENSOR_TYPE_SET.has(sensor_type)) return null;
  const range = SENSOR_RANGES[sensor_type as SensorType];
  if (typeof value !== 'number' || !(value >= range.min && value <= range.max)) return null;
  if (unit !== undefined && unit !== null) {
    if (typeof unit !== 'string' || unit.length > 16 || !isPrintable(unit)) return null;
  }
  if (schema_version !== undefined && schema_version !== 1) return null;
  let tsEventMs: number;
  if (typeof ts_event === 'string') {
    tsEventMs = isoTimestampMs(ts_event);
    if (!(tsEventMs >= MIN_EVENT_MS && tsEventMs < MAX_EVENT_MS)) return null;
  } else if (typeof ts_event === 'number') {
    const ts = parseEpochMillis(ts_event);
    if (!ts.ok) return null;
    tsEventMs = ts.ms;
  } else {
    return null;
  }
  return {
    eventId: event_id.toLowerCase(),
    deviceId: device_id,
    siteId: site_id,
    zoneId: zone_id,
    sensorType: sensor_type as SensorType,
    value,
    tsEventMs,
    unit: unit ?? null,
  };
}

/** Encodes an event in wire format v1 (ISO-8601 UTC timestamp). */
export function serializeEvent(event: TelemetryEvent): string {
  const wire: EventV1Wire = {
    event_id: event.eventId,
    device_id: event.deviceId,
    site_id: event.siteId,
    zone_id: event.zoneId,
    sensor_type: event.sensorType,
    value: event.value,
    ts_event: new Date(event.tsEventMs).toISOString(),
    schema_version: 1,
    ...(event.unit === null ? {} : { unit: event.unit }),
  };
  return JSON.stringify(wire);
}

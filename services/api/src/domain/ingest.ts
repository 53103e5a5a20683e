import {
  eventV1Schema,
  MAX_EVENT_BYTES,
  serializeEvent,
  type TelemetryEvent,
} from '@telemetry-pulse/shared/core';
import type { z } from 'zod';

/**
 * Readings that arrive over HTTP, checked exactly as the processor checks what it reads from Kafka
 * (schema v1, and the same limit on event times ahead of the clock), so a reading the API accepts is
 * one the processor stores. Pure: the clock and the id source come in as arguments.
 */

export type IngestRefusal =
  'INVALID_JSON' | 'SCHEMA_VIOLATION' | 'FUTURE_EVENT_TIME' | 'MESSAGE_TOO_LARGE' | 'SITE_NOT_ALLOWED';

export interface RefusedReading {
  readonly ok: false;
  readonly code: IngestRefusal;
  readonly reason: string;
  /** The schema's issues, for a caller that words them its own way (the original's 422). */
  readonly issues?: readonly z.core.$ZodIssue[];
}

export type PreparedReading =
  { readonly ok: true; readonly event: TelemetryEvent; readonly value: string } | RefusedReading;

export interface IngestRules {
  readonly nowMs: number;
  /** The processor's PROCESSOR_MAX_FUTURE_SKEW: readings further ahead are refused here already. */
  readonly maxFutureSkewMs: number;
  /** A new event id (a UUID) for a reading sent without one. */
  readonly newId: () => string;
  /** The sites the caller's key may write; every site when undefined. */
  readonly sites?: ReadonlySet<string>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One reading: fills `event_id` (a new UUID) and `ts_event` (now) when absent, as the original did,
 * validates it against schema v1 and returns the Kafka message value (the normalised wire form).
 */
export function prepareReading(item: unknown, rules: IngestRules): PreparedReading {
  if (!isObject(item))
    return { ok: false, code: 'SCHEMA_VIOLATION', reason: 'a reading must be a JSON object' };
  const filled = {
    ...item,
    event_id: item['event_id'] ?? rules.newId(),
    ts_event: item['ts_event'] ?? new Date(rules.nowMs).toISOString(),
  };
  const parsed = eventV1Schema.safeParse(filled);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 8)
      .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, code: 'SCHEMA_VIOLATION', reason, issues: parsed.error.issues };
  }
  const event = parsed.data;
  if (event.tsEventMs > rules.nowMs + rules.maxFutureSkewMs) {
    return {
      ok: false,
      code: 'FUTURE_EVENT_TIME',
      reason: `ts_event ${new Date(event.tsEventMs).toISOString()} is more than ${rules.maxFutureSkewMs} ms ahead of the clock`,
    };
  }
  if (rules.sites && !rules.sites.has(event.siteId)) {
    return { ok: false, code: 'SITE_NOT_ALLOWED', reason: `this key may not write site ${event.siteId}` };
  }
  return { ok: true, event, value: serializeEvent(event) };
}

/**
 * Splits an NDJSON body into items: one JSON value per non-empty line. A line that is not JSON, or
 * larger than a Kafka message may be, is refused on its own (its index is its position among the
 * non-empty lines), and the others go on.
 */
export function parseNdjson(text: string): { index: number; item?: unknown; refusal?: RefusedReading }[] {
  const out: { index: number; item?: unknown; refusal?: RefusedReading }[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const index = out.length;
    if (Buffer.byteLength(trimmed) > MAX_EVENT_BYTES) {
      out.push({
        index,
        refusal: { ok: false, code: 'MESSAGE_TOO_LARGE', reason: `line is over ${MAX_EVENT_BYTES} bytes` },
      });
      continue;
    }
    try {
      out.push({ index, item: JSON.parse(trimmed) as unknown });
    } catch (err) {
      out.push({
        index,
        refusal: {
          ok: false,
          code: 'INVALID_JSON',
          reason: err instanceof Error ? err.message : 'invalid JSON',
        },
      });
    }
  }
  return out;
}

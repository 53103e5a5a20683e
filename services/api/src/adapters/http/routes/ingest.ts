import { randomUUID } from 'node:crypto';
import { injectTraceHeaders, type OutboundMessage } from '@telemetry-pulse/shared';
import { ingestEventSchema, ingestResponseSchema } from '../../../contract/compat';
import type { ReadingsBatchResult } from '../../../contract/ingest';
import {
  parseNdjson,
  prepareReading,
  type PreparedReading,
  type RefusedReading,
} from '../../../domain/ingest';
import type { RateLimiter } from '../../../domain/rate-limit';
import { IngestUnavailableError, type IngestPublisher } from '../../kafka/ingest-publisher';
import { FastApiError, fastApiItem } from '../fastapi';
import { readTextBody } from '../json-body';
import { ProblemError } from '../problem';
import { jsonRoute, rawRoute, type Principal, type Route } from '../route';

export interface IngestRouteDeps {
  readonly publisher: IngestPublisher;
  /** Events per second per ingest key (or client IP when anonymous); none when undefined. */
  readonly limiter: RateLimiter | undefined;
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly maxFutureSkewMs: number;
  readonly now: () => number;
  readonly onLimited: () => void;
  readonly onIngested: (accepted: number, rejected: number) => void;
}

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/**
 * The message of an accepted reading: keyed by device (its partition, so its readings stay in order),
 * carrying the trace context of the HTTP request, so a device's request and the stored row share a trace.
 */
function message(r: Extract<PreparedReading, { ok: true }>, traceHeaders: Record<string, string | Buffer>) {
  return {
    key: r.event.deviceId,
    value: r.value,
    ...(Object.keys(traceHeaders).length > 0 ? { headers: traceHeaders } : {}),
  } satisfies OutboundMessage;
}

/**
 * HTTP ingest: the original's single-event `POST /ingest` (its body, status and error bodies) and a batch
 * form for gateways. Both validate as the processor does, answer only after Kafka acknowledged every
 * accepted reading, and never drop one silently: Kafka down or slow is a 503 (500 on the original's
 * route, as it answered) with Retry-After.
 */
export function ingestRoutes(deps: IngestRouteDeps): Route[] {
  const rules = (principal: Principal) => ({
    nowMs: deps.now(),
    maxFutureSkewMs: deps.maxFutureSkewMs,
    newId: randomUUID,
    ...(principal.sites ? { sites: principal.sites } : {}),
  });

  /** Charges `events` to the caller's bucket; a 429 with Retry-After when it is short. */
  function charge(principal: Principal, events: number): void {
    if (!deps.limiter || events === 0) return;
    const verdict = deps.limiter.take(principal.client, deps.now(), events);
    if (verdict.allowed) return;
    deps.onLimited();
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new ProblemError('rate-limited', `Ingest rate limit exceeded; retry in ${seconds} s.`, {
      headers: { 'retry-after': String(seconds) },
    });
  }

  return [
    jsonRoute({
      method: 'POST',
      path: '/ingest',
      operationId: 'legacyIngest',
      summary: 'One reading, as the original accepted it',
      description:
        'The original\'s body (`event_id` and `ts_event` optional: a new UUID and now when omitted), checked as the processor checks readings. 201 once Kafka acknowledged it; 422 `{"detail": [...]}` when invalid; 500 `{"detail": "Kafka unavailable"}` with Retry-After when Kafka did not acknowledge in time.',
      tag: 'ingest',
      auth: 'ingest',
      unlimited: true,
      errors: 'fastapi',
      status: 201,
      problems: [422],
      body: ingestEventSchema,
      response: ingestResponseSchema,
      responseDescription: 'Queued: Kafka acknowledged the reading.',
      async handler({ body, principal }) {
        charge(principal, 1);
        const prepared = prepareReading(body, rules(principal));
        if (!prepared.ok) {
          deps.onIngested(0, 1);
          if (prepared.code === 'SITE_NOT_ALLOWED') throw new FastApiError(403, prepared.reason);
          const items = prepared.issues
            ? prepared.issues.map((issue) => fastApiItem(issue, 'body', body))
            : [
                {
                  type: 'value_error',
                  loc: ['body', 'ts_event'],
                  msg: `Value error, ${prepared.reason}`,
                  input: body.ts_event,
                },
              ];
          throw new FastApiError(422, items);
        }
        try {
          await deps.publisher.publish([message(prepared, injectTraceHeaders({}))]);
        } catch (err) {
          if (!(err instanceof IngestUnavailableError)) throw err;
          throw new FastApiError(500, 'Kafka unavailable', { 'retry-after': String(err.retryAfterSeconds) });
        }
        deps.onIngested(1, 0);
        return { status: 'accepted' as const, message: 'Event queued' as const };
      },
    }),
    rawRoute({
      method: 'POST',
      path: '/api/v1/readings',
      operationId: 'ingestReadings',
      summary: 'A batch of readings (JSON array or NDJSON)',
      description:
        'Send `application/json` (an array of readings) or `application/x-ndjson` (one reading per line), each in event format v1 with `event_id` and `ts_event` optional (a new UUID and now when omitted). Every item is checked as the processor checks readings; the valid ones are published (keyed by device_id) and the answer, sent once Kafka acknowledged them all, lists the accepted event ids in order and each refused item with its index and reason. At most API_INGEST_MAX_ITEMS items and API_INGEST_MAX_BYTES bytes (413 beyond). Kafka down or slow: 503 with Retry-After and nothing acknowledged; resend with the same event ids, which are stored once.',
      tag: 'ingest',
      auth: 'ingest',
      unlimited: true,
      problems: [413, 415, 503],
      produces: {
        contentType: 'application/json',
        description:
          '`{ accepted: [event_id...], rejected: [{ index, code, reason }] }` (ReadingsBatchResult).',
      },
      async handler(ctx, principal) {
        const text = await readTextBody(ctx, deps.maxBytes, ['application/json', '+json', ...NDJSON_TYPES]);
        const ndjson = ctx.is(...NDJSON_TYPES) !== false;
        let entries: { index: number; item?: unknown; refusal?: RefusedReading }[];
        if (ndjson) entries = parseNdjson(text);
        else {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (err) {
            throw new ProblemError(
              'invalid-request',
              `The body is not valid JSON: ${(err as Error).message}`,
            );
          }
          if (!Array.isArray(parsed)) {
            throw new ProblemError(
              'invalid-request',
              'Send a JSON array of readings (or NDJSON, one per line).',
            );
          }
          entries = parsed.map((item: unknown, index) => ({ index, item }));
        }
        if (entries.length > deps.maxItems) {
          throw new ProblemError(
            'payload-too-large',
            `A batch may hold at most ${deps.maxItems} readings; this one has ${entries.length}.`,
          );
        }
        charge(principal, entries.length);
        const traceHeaders = injectTraceHeaders({});
        const r = rules(principal);
        const accepted: string[] = [];
        const messages: OutboundMessage[] = [];
        const rejected: ReadingsBatchResult['rejected'] = [];
        for (const e of entries) {
          const prepared = e.refusal ?? prepareReading(e.item, r);
          if (prepared.ok) {
            accepted.push(prepared.event.eventId);
            messages.push(message(prepared, traceHeaders));
          } else rejected.push({ index: e.index, code: prepared.code, reason: prepared.reason });
        }
        try {
          await deps.publisher.publish(messages);
        } catch (err) {
          if (!(err instanceof IngestUnavailableError)) throw err;
          throw new ProblemError(
            'unavailable',
            `${err.message}; nothing was acknowledged, retry later with the same event ids.`,
            {
              headers: { 'retry-after': String(err.retryAfterSeconds) },
            },
          );
        }
        deps.onIngested(accepted.length, rejected.length);
        const result: ReadingsBatchResult = { accepted, rejected };
        ctx.status = 200;
        ctx.body = result;
      },
    }),
  ];
}

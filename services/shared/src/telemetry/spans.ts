import {
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { extractContext, injectTraceHeaders, kafkaHeaderGetter, type KafkaHeaders } from './propagation';

const tracer = trace.getTracer('@telemetry-pulse/shared');

/** At most this many span links per consumed batch: a link costs ~100 bytes in every exported span. */
export const MAX_BATCH_LINKS = 128;

/**
 * Runs `send` inside a PRODUCER span `<topic> publish` and hands it the headers to add to each message
 * (the span's W3C context), or undefined when tracing is off so no per-message work is done.
 */
export async function withPublishSpan<T>(
  topic: string,
  messageCount: number,
  send: (traceHeaders: Readonly<Record<string, string | Buffer>> | undefined) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`${topic} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.batch.message_count': messageCount,
    },
  });
  const ctx = trace.setSpan(context.active(), span);
  const headers = isSpanContextValid(span.spanContext()) ? injectTraceHeaders({}, ctx) : undefined;
  return runInSpan(span, () => context.with(ctx, () => send(headers)));
}

/**
 * Runs `handle` inside a CONSUMER span `<topic> process` for one batch, linked to the context each record
 * carried in its headers (the first {@link MAX_BATCH_LINKS}), so database spans become its children and
 * the producer's trace is one link away. When tracing is off the records are not looked at.
 * `consumerGroup` is the Kafka group the batch was fetched for (`messaging.consumer.group.name`, the
 * convention's successor of `messaging.kafka.consumer.group`).
 */
export async function withBatchSpan<T>(
  batch: {
    topic: string;
    partition: number;
    consumerGroup?: string;
    records: readonly { headers: KafkaHeaders }[];
  },
  handle: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`${batch.topic} process`, {
    kind: SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': batch.topic,
      'messaging.destination.partition.id': String(batch.partition),
      ...(batch.consumerGroup === undefined ? {} : { 'messaging.consumer.group.name': batch.consumerGroup }),
      'messaging.batch.message_count': batch.records.length,
    },
  });
  if (span.isRecording()) span.addLinks(batchLinks(batch.records));
  return runInSpan(span, () => context.with(trace.setSpan(context.active(), span), handle));
}

/** Distinct producer contexts carried by `records`, at most {@link MAX_BATCH_LINKS}. */
export function batchLinks(records: readonly { headers: KafkaHeaders }[]): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  // One publish span covers hundreds of records, so most records repeat a header already read: compared as
  // raw text first, the propagator parses each distinct context once instead of once per record (it was
  // most of what tracing cost the processor per batch).
  // The fields are the registered propagator's own (traceparent and tracestate for W3C, b3 for B3...).
  const fields = propagation.fields();
  const seenHeaders = new Set<string>();
  let previous: KafkaHeaders | undefined;
  for (const record of records) {
    if (links.length >= MAX_BATCH_LINKS) break;
    // Neighbours of one publish span carry the same bytes: compared as bytes, they cost no decoding at all.
    if (previous !== undefined && sameFields(fields, previous, record.headers)) continue;
    previous = record.headers;
    const raw = fields.map((f) => kafkaHeaderGetter.get(record.headers, f) ?? '').join('\n');
    if (seenHeaders.has(raw)) continue;
    seenHeaders.add(raw);
    const carried = trace.getSpanContext(extractContext(record.headers));
    if (!carried || !isSpanContextValid(carried)) continue;
    const key = `${carried.traceId}/${carried.spanId}`;
    if (seen.has(key)) continue; // one publish span covers many records of a batch
    seen.add(key);
    links.push({ context: carried });
  }
  return links;
}

/** True when `a` and `b` hold the same value (bytes or text) for every one of `fields`. */
function sameFields(fields: readonly string[], a: KafkaHeaders, b: KafkaHeaders): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string;
    const x = a[f];
    const y = b[f];
    if (x === y) continue;
    if (!Buffer.isBuffer(x) || !Buffer.isBuffer(y) || !x.equals(y)) return false;
  }
  return true;
}

/** Where a database statement went, for its span (OpenTelemetry's `db.*` and `server.*` attributes). */
export interface DatabaseTarget {
  readonly database?: string;
  readonly host?: string;
  readonly port?: number;
}

/**
 * Runs `run` inside a CLIENT span for a PostgreSQL statement the pg instrumentation cannot follow: it
 * traces `client.query(text)` but opens a span for a COPY stream that it never ends (so none is exported).
 * Named and attributed as the instrumentation names its own (`db.*` semantic conventions).
 */
export async function withDatabaseSpan<T>(
  statement: { readonly operation: string; readonly collection: string; readonly text: string },
  target: DatabaseTarget,
  run: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(`${statement.operation} ${statement.collection}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system.name': 'postgresql',
      'db.operation.name': statement.operation,
      'db.collection.name': statement.collection,
      'db.query.text': statement.text,
      ...(target.database === undefined ? {} : { 'db.namespace': target.database }),
      ...(target.host === undefined ? {} : { 'server.address': target.host }),
      ...(target.port === undefined ? {} : { 'server.port': target.port }),
    },
  });
  return runInSpan(span, () => context.with(trace.setSpan(context.active(), span), run));
}

async function runInSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

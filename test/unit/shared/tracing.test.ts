import { Writable } from 'node:stream';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import {
  MAX_BATCH_LINKS,
  batchLinks,
  createLogger,
  extractContext,
  injectTraceHeaders,
  kafkaHeaderGetter,
  traceFields,
  withBatchSpan,
  withPublishSpan,
} from '@telemetry-pulse/shared';
import { startTracing, tracingRequested, type Tracing } from '@telemetry-pulse/shared/tracing';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracingRequested (off unless the environment asks for OTLP)', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' }, false],
  ])('%j -> %s', (env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });

  it('starts nothing when off', async () => {
    const off = startTracing({ serviceName: 'test', env: {} });
    expect(off.enabled).toBe(false);
    await off.shutdown();
  });
});

describe('Kafka header propagation', () => {
  it('reads W3C headers from Buffers, strings and repeated values', () => {
    expect(kafkaHeaderGetter.get({ traceparent: Buffer.from(TRACEPARENT) }, 'traceparent')).toBe(TRACEPARENT);
    expect(kafkaHeaderGetter.get({ traceparent: TRACEPARENT }, 'traceparent')).toBe(TRACEPARENT);
    expect(kafkaHeaderGetter.get({ traceparent: [Buffer.from(TRACEPARENT), 'x'] }, 'traceparent')).toBe(
      TRACEPARENT,
    );
    expect(kafkaHeaderGetter.get({}, 'traceparent')).toBeUndefined();
    expect(kafkaHeaderGetter.keys({ a: 'x', b: Buffer.from('y') })).toEqual(['a', 'b']);
  });

  it('is a no-op while no SDK runs', () => {
    expect(injectTraceHeaders({})).toEqual({});
    expect(trace.getSpanContext(extractContext({ traceparent: Buffer.from(TRACEPARENT) }))).toBeUndefined();
  });
});

describe('spans (SDK with an in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  beforeAll(() => {
    tracing = startTracing({ serviceName: 'unit', env: {}, exporter });
  });
  afterAll(() => tracing.shutdown());
  beforeEach(async () => {
    await tracing.forceFlush(); // spans of the previous test must not land in this one's
    exporter.reset();
  });

  it('round-trips a span context through Buffer headers', () => {
    const span = trace.getTracer('t').startSpan('s');
    const headers = injectTraceHeaders({}, trace.setSpan(context.active(), span));
    span.end();
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const asKafkaGivesThem = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, Buffer.from(v as string)]),
    );
    const carried = trace.getSpanContext(extractContext(asKafkaGivesThem));
    expect(carried).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    expect(carried?.isRemote).toBe(true);
  });

  it('publishes in a PRODUCER span whose context goes to the headers', async () => {
    let seen: Readonly<Record<string, string | Buffer>> | undefined;
    await withPublishSpan('t.events', 3, async (h) => {
      seen = h;
    });
    await tracing.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('t.events publish');
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 't.events',
      'messaging.batch.message_count': 3,
    });
    expect(String(seen?.['traceparent'])).toContain(span?.spanContext().spanId);
  });

  it('links a CONSUMER batch span to each distinct producer context, capped, and parents the work', async () => {
    const records = [
      { headers: { traceparent: Buffer.from(TRACEPARENT) } },
      { headers: { traceparent: Buffer.from(TRACEPARENT) } }, // same publish: one link
      { headers: {} },
      { headers: { traceparent: Buffer.from('garbage') } },
    ];
    await withBatchSpan({ topic: 't.events', partition: 2, consumerGroup: 'g', records }, async () => {
      trace.getTracer('t').startSpan('INSERT').end();
    });
    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.name === 't.events process');
    const child = spans.find((s) => s.name === 'INSERT');
    expect(batch?.kind).toBe(SpanKind.CONSUMER);
    expect(batch?.links.map((l) => l.context.spanId)).toEqual(['b7ad6b7169203331']);
    expect(batch?.attributes['messaging.destination.partition.id']).toBe('2');
    expect(batch?.attributes['messaging.consumer.group.name']).toBe('g');
    expect(child?.parentSpanContext?.spanId).toBe(batch?.spanContext().spanId);

    const many = Array.from({ length: MAX_BATCH_LINKS + 10 }, (_, i) => ({
      headers: { traceparent: `00-${'1'.repeat(32)}-${(i + 1).toString(16).padStart(16, '0')}-01` },
    }));
    expect(batchLinks(many)).toHaveLength(MAX_BATCH_LINKS);

    // Thousands of records from a few publishes, interleaved as partitions are: one link per publish, in order.
    const publish = (n: number): string => `00-${'2'.repeat(32)}-${n.toString(16).padStart(16, '0')}-01`;
    const interleaved = Array.from({ length: 4_000 }, (_, i) => ({
      headers: { traceparent: Buffer.from(publish(1 + (Math.floor(i / 7) % 3))) },
    }));
    expect(batchLinks(interleaved).map((l) => l.context.spanId)).toEqual(
      [1, 2, 3].map((n) => n.toString(16).padStart(16, '0')),
    );
  });

  it('marks a failed batch as an error and rethrows', async () => {
    await expect(
      withBatchSpan({ topic: 't', partition: 0, records: [] }, () => Promise.reject(new Error('db down'))),
    ).rejects.toThrow('db down');
    await tracing.forceFlush();
    expect(exporter.getFinishedSpans()[0]?.status).toMatchObject({ code: 2, message: 'db down' });
  });

  it('puts trace_id and span_id on log lines written inside a span, and keeps redaction', () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    const logger = createLogger({ service: 'unit', level: 'info', destination });
    logger.info({ password: 'hunter2' }, 'outside');
    const span = trace.getTracer('t').startSpan('s');
    context.with(trace.setSpan(context.active(), span), () =>
      logger.child({ component: 'c' }).info('inside'),
    );
    span.end();
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[0]?.['password']).toBe('[redacted]');
    expect(lines[1]).toMatchObject({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
      component: 'c',
    });
    expect(traceFields()).toEqual({});
  });
});

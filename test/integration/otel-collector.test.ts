import pg from 'pg';
import { createScratchDatabase, uniqueName, waitFor, type ScratchDatabase } from '../support/infra';
import { startCollector, type Collector } from '../support/otel-collector';
import {
  SPAN_KIND_CLIENT,
  SPAN_KIND_CONSUMER,
  SPAN_KIND_PRODUCER,
  SPAN_KIND_SERVER,
  descendsFrom,
  linksTo,
  statementOf,
  type OtlpSpan,
} from '../support/otlp';
import {
  requireCompiledServices,
  simulateOneReading,
  startTracedApi,
  startTracedProcessor,
  type TracedProcessor,
} from '../support/traced-pipeline';

/** Attribute names of a span that start with `prefix`, sorted. */
const keysOf = (s: OtlpSpan, prefix: string) =>
  Object.keys(s.attributes)
    .filter((k) => k.startsWith(prefix))
    .sort();

/**
 * Issue 22 item 5: the services' traces as a real OpenTelemetry Collector receives them (tools/otelcol,
 * built by tools/otelcol.sh: the OTLP/HTTP receiver, and the file exporter writing OTLP JSON that this test
 * reads back). test/integration/tracing.test.ts covers more flows against a receiver in the test process;
 * this one checks that what the compiled services send is valid OTLP to a collector and carries the
 * semantic conventions' names, end to end: the simulator's publish, the processor's batch linked to it, the
 * batch's PostgreSQL statements as its children, and an API request with its query.
 */
describe('traces received by a real OpenTelemetry Collector (compiled simulator, processor and API)', () => {
  const topic = uniqueName('it.otelcol');
  let db: ScratchDatabase;
  let collector: Collector;
  let processor: TracedProcessor | undefined;

  beforeAll(async () => {
    requireCompiledServices();
    // Fails, never skips, when tools/otelcol.sh has not built the collector.
    collector = await startCollector();
    db = await createScratchDatabase();
  });

  afterAll(async () => {
    await processor?.stop();
    await collector?.stop();
    await db?.drop();
  });

  it('one reading: PRODUCER publish -> (link) -> CONSUMER batch -> CLIENT statements, one trace per side', async () => {
    processor = await startTracedProcessor(collector.url, topic, db.url);
    const { groupId } = processor;
    await simulateOneReading(collector.url, topic);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await waitFor('the reading to be stored', async () => {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_events');
        return rows[0]?.n === 1 ? true : undefined;
      });
    } finally {
      await client.end();
    }

    const publish = await waitFor('the simulator publish span in the exported file', async () =>
      collector.spans().find((s) => s.service === 'telemetry-simulator' && s.name === `${topic} publish`),
    );
    expect(publish.kind).toBe(SPAN_KIND_PRODUCER);
    // Integers as the collector writes OTLP JSON: int64 as a decimal string.
    expect(publish.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.batch.message_count': '1',
    });

    const batch = await waitFor('the processor batch span linked to the publish span', async () =>
      collector
        .spans()
        .find(
          (s) => s.service === 'telemetry-processor' && s.name === `${topic} process` && linksTo(s, publish),
        ),
    );
    expect(batch.kind).toBe(SPAN_KIND_CONSUMER);
    // Linked, not parented: a batch mixes readings of many sends, so it starts a trace of its own.
    expect(batch.parentSpanId).toBeUndefined();
    expect(batch.traceId).not.toBe(publish.traceId);
    expect(batch.links).toEqual([
      expect.objectContaining({ traceId: publish.traceId, spanId: publish.spanId }),
    ]);
    expect(batch.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '0',
      'messaging.consumer.group.name': groupId,
      'messaging.batch.message_count': '1',
    });
    // Kafka under the current conventions: the group and partition have the generic names that replaced
    // messaging.kafka.consumer.group and messaging.kafka.destination.partition, and the Kafka-only ones
    // (offset, message key) describe a single message, so neither span of a batch carries any.
    expect([...keysOf(publish, 'messaging.kafka.'), ...keysOf(batch, 'messaging.kafka.')]).toEqual([]);

    // The batch's transaction, every statement a CLIENT span under the batch span.
    const expected = [
      'BEGIN',
      'COPY raw_events',
      'INSERT INTO devices',
      'INSERT INTO window_aggregates',
      'UPDATE consumer_offsets SET next_offset',
      'COMMIT',
    ];
    const statements = await waitFor("the batch's statements under its span", async () => {
      const spans = collector.spans();
      const found = expected.map((prefix) =>
        spans.find((s) => statementOf(s).startsWith(prefix) && descendsFrom(s, batch, spans)),
      );
      return found.every((s) => s !== undefined) ? (found as OtlpSpan[]) : undefined;
    });
    for (const s of statements) {
      expect([statementOf(s).slice(0, 40), s.kind, s.traceId]).toEqual([
        statementOf(s).slice(0, 40),
        SPAN_KIND_CLIENT,
        batch.traceId,
      ]);
      // The stable db.* names (db.system.name, db.namespace, db.query.text), not their predecessors.
      expect(s.attributes).toMatchObject({
        'db.system.name': 'postgresql',
        'db.namespace': db.name,
        'server.address': '127.0.0.1',
      });
      for (const older of ['db.system', 'db.name', 'db.statement'])
        expect(s.attributes).not.toHaveProperty([older]);
    }
    const copy = statements[1];
    expect(copy).toMatchObject({
      name: 'COPY raw_events',
      attributes: { 'db.operation.name': 'COPY', 'db.collection.name': 'raw_events' },
    });
    // One transaction: BEGIN started first and COMMIT last, by the times the collector received.
    const starts = statements.map((s) => BigInt(s.startTimeUnixNano));
    expect(starts.every((t) => t >= (starts[0] ?? 0n) && t <= (starts[starts.length - 1] ?? 0n))).toBe(true);
  });

  it('an API request: SERVER span and its PostgreSQL query in one trace', async () => {
    const api = await startTracedApi(collector.url, db.url);
    try {
      expect((await fetch(new URL('/api/v1/sites', api.url))).status).toBe(200);
      const server = await waitFor('the API SERVER span in the exported file', async () =>
        collector
          .spans()
          .find(
            (s) =>
              s.service === 'telemetry-api' &&
              s.kind === SPAN_KIND_SERVER &&
              s.name.includes('/api/v1/sites'),
          ),
      );
      expect(server.attributes).toMatchObject({ 'http.route': '/api/v1/sites' });
      const query = await waitFor('a PostgreSQL span in the request trace', async () => {
        const spans = collector.spans();
        return spans.find(
          (s) => s.kind === SPAN_KIND_CLIENT && statementOf(s) !== '' && descendsFrom(s, server, spans),
        );
      });
      expect(query.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.namespace': db.name });
    } finally {
      await api.stop();
    }
  });
});

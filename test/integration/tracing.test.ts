import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { createScratchDatabase, uniqueName, waitFor, type ScratchDatabase } from '../support/infra';
import {
  SPAN_KIND_CLIENT,
  SPAN_KIND_CONSUMER,
  SPAN_KIND_PRODUCER,
  SPAN_KIND_SERVER,
  descendsFrom,
  linksTo,
  startReceiver,
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
import { repeatedTopLevelKeys } from '../support/json-lines';

/**
 * One reading followed end to end through the compiled services, as they run in production (tracing
 * started by each main's bootstrap, OTLP export configured only by OTEL_* variables): the simulator's
 * publish span, carried in the Kafka headers, is linked from the processor's batch span, whose children
 * include the PostgreSQL insert.
 */
describe('tracing (compiled simulator, processor and API; local OTLP receiver)', () => {
  const topic = uniqueName('it.traces');
  let db: ScratchDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let processor: TracedProcessor | undefined;

  beforeAll(async () => {
    requireCompiledServices();
    db = await createScratchDatabase();
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await processor?.stop();
    await new Promise((r) => receiver.server.close(r));
    await db.drop();
  });

  it('one produced reading yields produce -> (link) -> consume -> COPY raw_events', async () => {
    processor = await startTracedProcessor(receiver.url, topic, db.url);
    // Not spawnSync: the receiver in this process must keep answering the simulator's exports.
    await simulateOneReading(receiver.url, topic);

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

    const { spans } = receiver;
    const publish = await waitFor('the simulator publish span', async () =>
      spans.find(
        (s) =>
          s.service === 'telemetry-simulator' &&
          s.name === `${topic} publish` &&
          s.kind === SPAN_KIND_PRODUCER,
      ),
    );
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
    });
    const batch = await waitFor('a processor batch span linked to the publish span', async () =>
      spans.find(
        (s) =>
          s.service === 'telemetry-processor' &&
          s.name === `${topic} process` &&
          s.kind === SPAN_KIND_CONSUMER &&
          linksTo(s, publish),
      ),
    );
    // New readings go in with one COPY per batch (the INSERT ... ON CONFLICT only after a repeated id).
    const insert = await waitFor('the COPY raw_events span under the batch span', async () =>
      // The transaction's spans may sit between the batch and the insert.
      spans.find(
        (s) =>
          s.service === 'telemetry-processor' &&
          statementOf(s).startsWith('COPY raw_events') &&
          descendsFrom(s, batch, spans),
      ),
    );
    expect(insert.traceId).toBe(batch.traceId);
    expect(insert.attributes['db.system.name'] ?? insert.attributes['db.system']).toBe('postgresql');
    expect(insert).toMatchObject({ name: 'COPY raw_events', kind: SPAN_KIND_CLIENT });
    expect(insert.attributes).toMatchObject({
      'db.operation.name': 'COPY',
      'db.collection.name': 'raw_events',
    });
    expect(insert.attributes['db.namespace']).toBe(db.name);

    // Log lines written inside the batch span carry its ids.
    const logged = processor
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.every((l) => l['trace_id'] === undefined || typeof l['span_id'] === 'string')).toBe(true);
    // No line names a field twice (the storage pass and the ops server once repeated `component`).
    const lines = processor
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.filter((l) => repeatedTopLevelKeys(l).length > 0)).toEqual([]);
    expect(lines.some((l) => l.includes('"raw partitions maintained"'))).toBe(true);
  });
  it('traces an API request: SERVER span, koa route, and its PostgreSQL query in one trace', async () => {
    const { url, stop } = await startTracedApi(receiver.url, db.url);
    try {
      expect((await fetch(new URL('/api/v1/sites', url))).status).toBe(200);
      const { spans } = receiver;
      const server = await waitFor('the API SERVER span', async () =>
        spans.find(
          (s) =>
            s.service === 'telemetry-api' && s.kind === SPAN_KIND_SERVER && s.name.includes('/api/v1/sites'),
        ),
      );
      await waitFor('a koa span and a pg span in the request trace', async () => {
        const inTrace = spans.filter((s) => s.traceId === server.traceId);
        const koa = inTrace.some((s) => s.attributes['koa.type'] !== undefined);
        const query = inTrace.some((s) => s.name.startsWith('pg.query'));
        return koa && query ? true : undefined;
      });
    } finally {
      await stop();
    }
  });

  it("carries a device's trace from its HTTP request through Kafka to the batch that stores the reading", async () => {
    // The processor of the first test still consumes `topic`; this API publishes what it ingests there.
    const key = 'tracing-ingest-key-0123456789';
    const hash = createHash('sha256').update(key).digest('hex');
    const { url, stop } = await startTracedApi(receiver.url, db.url, {
      PROCESSOR_TOPIC: topic,
      API_INGEST_KEYS: `device:${hash}`,
    });
    try {
      // Concurrent devices: their readings share Kafka sends, yet each message keeps its own request's trace.
      const traceIds = Array.from({ length: 4 }, () => randomBytes(16).toString('hex'));
      const answers = await Promise.all(
        traceIds.map((traceId, i) =>
          fetch(new URL('/api/v1/readings', url), {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-api-key': key,
              traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
            },
            body: JSON.stringify([
              { device_id: `traced-${i}`, site_id: 's', zone_id: 'z', sensor_type: 'co2', value: 500 },
            ]),
          }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const { spans } = receiver;
      let batch: OtlpSpan | undefined;
      for (const traceId of traceIds) {
        await waitFor("the API's SERVER span continues the device's trace", async () =>
          spans.find(
            (s) => s.service === 'telemetry-api' && s.kind === SPAN_KIND_SERVER && s.traceId === traceId,
          ),
        );
        batch = await waitFor("a processor batch span linked to the device's trace", async () =>
          spans.find(
            (s) =>
              s.service === 'telemetry-processor' &&
              s.kind === SPAN_KIND_CONSUMER &&
              (s.links ?? []).some((l) => l.traceId === traceId),
          ),
        );
      }
      await waitFor('the COPY raw_events span in the batch trace', async () =>
        spans.find((s) => s.traceId === batch?.traceId && statementOf(s).startsWith('COPY raw_events')),
      );
    } finally {
      await stop();
    }
  });
});

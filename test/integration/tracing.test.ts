import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { BROKERS, createScratchDatabase, uniqueName, waitFor, type ScratchDatabase } from '../support/infra';

const DIST = path.join(__dirname, '..', '..', 'services');
const SIMULATOR = path.join(DIST, 'simulator', 'dist', 'main.js');
const PROCESSOR = path.join(DIST, 'processor', 'dist', 'main.js');
const API = path.join(DIST, 'api', 'dist', 'main.js');

/** One span as the OTLP/HTTP JSON exporter sends it (ids in hex), with its resource's service.name. */
interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
}
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: AnyValue }[] };
    scopeSpans?: {
      spans?: (Omit<OtlpSpan, 'service' | 'attributes'> & {
        attributes?: { key: string; value: AnyValue }[];
      })[];
    }[];
  }[];
}

const flatten = (attrs: { key: string; value: AnyValue }[] = []) =>
  Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue]));

/** A local OTLP/HTTP receiver: what the services export when OTEL_EXPORTER_OTLP_ENDPOINT points at it. */
function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as OtlpExport;
        for (const rs of payload.resourceSpans ?? []) {
          const service = String(flatten(rs.resource?.attributes)['service.name']);
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) spans.push({ ...s, service, attributes: flatten(s.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans }),
    ),
  );
}

/** Runs a compiled CLI to its end without blocking this process's event loop. */
function runToExit(
  args: string[],
  opts: { env: Record<string, string> },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

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
  let processor: ChildProcess | undefined;
  let processorOut = '';
  const otelEnv = () => ({
    PATH: process.env.PATH ?? '',
    KAFKA_BROKERS: BROKERS.join(','),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });

  beforeAll(async () => {
    for (const main of [SIMULATOR, PROCESSOR, API])
      if (!existsSync(main)) throw new Error(`${main} is missing; run \`npx tsc --build\` first`);
    db = await createScratchDatabase();
    receiver = await startReceiver();
  });

  afterAll(async () => {
    if (processor && processor.exitCode === null) {
      const exited = new Promise((r) => processor?.once('exit', r));
      processor.kill('SIGTERM');
      await exited;
    }
    await new Promise((r) => receiver.server.close(r));
    await db.drop();
  });

  it('one produced reading yields produce -> (link) -> consume -> COPY raw_events', async () => {
    processor = spawn(process.execPath, [PROCESSOR], {
      env: {
        ...otelEnv(),
        DATABASE_URL: db.url,
        PROCESSOR_TOPIC: topic,
        PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
        PROCESSOR_GROUP_ID: uniqueName('it-traces'),
        PROCESSOR_TOPIC_PARTITIONS: '1',
        PROCESSOR_PORT: '0',
        PROCESSOR_HOST: '127.0.0.1',
        KAFKA_SESSION_TIMEOUT: '10s',
        KAFKA_HEARTBEAT_INTERVAL: '1s',
        LOG_LEVEL: 'info',
      },
    });
    processor.stdout?.on('data', (c: Buffer) => (processorOut += c.toString()));
    processor.stderr?.on('data', (c: Buffer) => (processorOut += c.toString()));
    await waitFor('the processor to join its group', async () =>
      processorOut.includes('joined group') ? true : undefined,
    );

    // Not spawnSync: the receiver in this process must keep answering the simulator's exports.
    const sim = await runToExit([SIMULATOR, '--count', '1', '--rate', '0', '--sites', '1'], {
      env: {
        ...otelEnv(),
        SIM_TOPIC: topic,
        SIM_DLQ_TOPIC: `${topic}.dlq`,
        SIM_PARTITIONS: '1',
        SIM_METRICS_PORT: '0',
        SIM_ANOMALY_RATE: '0',
        SIM_DUPLICATE_RATE: '0',
        SIM_LATE_RATE: '0',
        SIM_OUT_OF_ORDER_RATE: '0',
        SIM_MALFORMED_RATE: '0',
      },
    });
    if (sim.status !== 0) throw new Error(`simulator exited ${sim.status}:\n${sim.stdout}${sim.stderr}`);

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
          (s.links ?? []).some((l) => l.traceId === publish.traceId && l.spanId === publish.spanId),
      ),
    );
    // New readings go in with one COPY per batch (the INSERT ... ON CONFLICT only after a repeated id).
    const insert = await waitFor('the COPY raw_events span under the batch span', async () =>
      spans.find((s) => {
        const statement = String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '');
        if (s.service !== 'telemetry-processor' || !statement.startsWith('COPY raw_events')) return false;
        // Walk up the parents (the transaction's spans may sit between the batch and the insert).
        for (let cur: OtlpSpan | undefined = s; cur;) {
          if (cur.spanId === batch.spanId) return true;
          const parent: string | undefined = cur.parentSpanId;
          cur = parent ? spans.find((p) => p.spanId === parent) : undefined;
        }
        return false;
      }),
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
    const logged = processorOut
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.every((l) => l['trace_id'] === undefined || typeof l['span_id'] === 'string')).toBe(true);
  });
  it('traces an API request: SERVER span, koa route, and its PostgreSQL query in one trace', async () => {
    const api = spawn(process.execPath, [API], {
      env: { ...otelEnv(), DATABASE_URL: db.url, API_PORT: '0', API_HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    });
    let out = '';
    api.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const url = await waitFor('the API to listen', async () => /"url":"(http:[^"]+)"/.exec(out)?.[1]);
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
      const exited = new Promise((r) => api.once('exit', r));
      api.kill('SIGTERM');
      await exited;
    }
  });

  it("carries a device's trace from its HTTP request through Kafka to the batch that stores the reading", async () => {
    // The processor of the first test still consumes `topic`; this API publishes what it ingests there.
    const key = 'tracing-ingest-key-0123456789';
    const hash = createHash('sha256').update(key).digest('hex');
    const api = spawn(process.execPath, [API], {
      env: {
        ...otelEnv(),
        DATABASE_URL: db.url,
        API_PORT: '0',
        API_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        PROCESSOR_TOPIC: topic,
        API_INGEST_KEYS: `device:${hash}`,
      },
    });
    let out = '';
    api.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const url = await waitFor('the API to listen', async () => /"url":"(http:[^"]+)"/.exec(out)?.[1]);
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
        spans.find(
          (s) =>
            s.traceId === batch?.traceId &&
            String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '').startsWith(
              'COPY raw_events',
            ),
        ),
      );
    } finally {
      const exited = new Promise((r) => api.once('exit', r));
      api.kill('SIGTERM');
      await exited;
    }
  });
});

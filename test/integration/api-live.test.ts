import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import { contract, hashApiKey, type Api } from '@telemetry-pulse/api';
import type { Processor } from '@telemetry-pulse/processor';
import { sseReader, startTestApi } from '../support/api';
import { publish, type WireEvent } from '../support/events';
import {
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { startTestProcessor } from '../support/processor';

const KEY = 'live-test-key-0123456789';
const VALIDATOR = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');

/**
 * The API's safety and live parts on the real servers: read auth, rate limiting, CORS, security headers,
 * the OpenAPI document (validated, and covering every routed path), /docs, the SSE stream fed by the real
 * processor (zones and alerts), its connection cap and its end on shutdown.
 */
describe('API safety and live updates (real processor, PostgreSQL and Kafka)', () => {
  const kafka: Kafka = testKafka();
  const topic = uniqueName('it.api-live');
  const group = uniqueName('it-api-live');
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let producer: Producer;
  let processor: Processor | undefined;
  let strict: { api: Api; url: string } | undefined; // read auth, CORS, a cap of 2 streams
  let limited: { api: Api; url: string } | undefined; // 1 request/s, burst 3

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    producer = kafka.producer();
    await producer.connect();
    ({ processor } = await startTestProcessor({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '2',
    }));
    const common = {
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
      API_KEYS: `ops:${hashApiKey(KEY)}`,
    };
    strict = await startTestApi({
      ...common,
      API_READ_AUTH: 'true',
      API_CORS_ORIGINS: 'http://dash.example',
      API_SSE_MAX_CLIENTS: '2',
      API_SSE_HEARTBEAT: '300ms',
      API_SSE_POLL: '200ms',
    });
    limited = await startTestApi({ ...common, API_RATE_LIMIT: '1', API_RATE_BURST: '3' });
  }, 120_000);

  afterAll(async () => {
    await strict?.api.stop();
    await limited?.api.stop();
    await processor?.stop();
    await producer.disconnect();
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  });

  const s = () => strict?.url ?? '';
  const authed = { 'x-api-key': KEY };

  it('requires a key on reads when API_READ_AUTH is on, but never on probes, metrics and docs', async () => {
    expect((await fetch(`${s()}/api/v1/sites`)).status).toBe(401);
    expect(
      (await fetch(`${s()}/api/v1/sites`, { headers: { 'x-api-key': 'nope-nope-nope-nope' } })).status,
    ).toBe(403);
    expect((await fetch(`${s()}/kpis/live`)).status).toBe(401);
    expect((await fetch(`${s()}/api/v1/sites`, { headers: authed })).status).toBe(200);
    for (const open of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/health']) {
      expect([open, (await fetch(`${s()}${open}`)).status]).toEqual([open, 200]);
    }
  });

  it('rate-limits per key and per IP with 429 and Retry-After, but not probes', async () => {
    const u = limited?.url ?? '';
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await fetch(`${u}/api/v1/sites`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await fetch(`${u}/api/v1/zones`);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(contract.problemSchema.parse(await res.json()).type).toBe('/problems/rate-limited');
    expect((await fetch(`${u}/healthz`)).status).toBe(200);
    expect((await fetch(`${u}/api/v1/sites`, { headers: authed })).status).toBe(200); // the key's own bucket
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await fetch(`${u}/api/v1/sites`)).status).toBe(200); // refilled
  });

  it('answers CORS preflights for configured origins only, and sets security headers everywhere', async () => {
    const preflight = await fetch(`${s()}/api/v1/alerts/1/acknowledge`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dash.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://dash.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-api-key');
    const other = await fetch(`${s()}/healthz`, { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const none = await fetch(`${limited?.url ?? ''}/healthz`, { headers: { origin: 'http://dash.example' } });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();

    for (const p of ['/healthz', '/nope', '/docs', '/api/v1/sites']) {
      const res = await fetch(`${s()}${p}`);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const notFound = await fetch(`${s()}/nope`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toBe('application/problem+json');
    const wrongMethod = await fetch(`${s()}/api/v1/sites`, { method: 'DELETE', headers: authed });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    expect(wrongMethod.headers.get('content-type')).toBe('application/problem+json');
  });

  it('publishes a valid OpenAPI 3.1 document that covers every routed path, and serves /docs locally', async () => {
    const res = await fetch(`${s()}/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
    const validate = (d: unknown) => {
      const file = path.join(dir, `${randomUUID()}.json`);
      writeFileSync(file, JSON.stringify(d));
      const out = spawnSync(process.execPath, [VALIDATOR, file], { encoding: 'utf8' });
      return JSON.parse(out.stdout) as { valid: boolean; errors?: unknown };
    };
    expect(validate(doc)).toEqual({ valid: true });
    expect(validate({ ...doc, info: undefined }).valid).toBe(false); // the validator does reject

    const routed = (strict?.api.routes() ?? []).map((r) => `${r.method} ${r.path}`).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(routed.length).toBeGreaterThanOrEqual(22);
    expect(documented).toEqual(routed);

    const page = await fetch(`${s()}/docs`);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'init.js']) {
      expect(html).toContain(`/docs/${asset}`);
      const a = await fetch(`${s()}/docs/${asset}`);
      expect([asset, a.status]).toEqual([asset, 200]);
      expect(a.headers.get('content-type')).toMatch(/javascript|css/);
      expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect((await fetch(`${s()}/docs/..%2Fpackage.json`)).status).toBe(400);
  });

  it('streams zone changes and alert changes from the processor, with heartbeats and a connection cap', async () => {
    const open = () => fetch(`${s()}/api/v1/stream`, { headers: authed });
    const first = await open();
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    const a = sseReader(first);
    const b = sseReader(await open());
    await a.next((f) => f.comment === 'connected');
    await a.next((f) => f.comment === 'heartbeat', 2_000);
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(
      (await fetch(`${s()}/metrics`).then((r) => r.text())).match(/telemetry_api_sse_clients (\d+)/)?.[1],
    ).toBe('2');

    await new Promise((r) => setTimeout(r, 600)); // the feed learns the current state before new data
    const now = Date.now();
    const events: WireEvent[] = [];
    for (let t = now - 180_000; t <= now; t += 10_000) {
      const base = {
        device_id: 'live-1',
        site_id: 'site-live',
        zone_id: 'site-live-zone-1',
        ts_event: new Date(t).toISOString(),
      };
      events.push({ ...base, event_id: randomUUID(), sensor_type: 'co2', value: 1250 });
      events.push({ ...base, event_id: randomUUID(), sensor_type: 'occupancy', value: 7 });
    }
    await publish(producer, topic, events);

    const zones = await a.next((f) => f.event === 'zones');
    const items = contract.zonesLatestPage.shape.items.parse(JSON.parse(zones.data ?? ''));
    expect(items.map((z) => `${z.zone_id}/${z.sensor_type}`)).toEqual(
      expect.arrayContaining(['site-live-zone-1/co2', 'site-live-zone-1/occupancy']),
    );
    const opened = contract.alertSchema.parse(
      JSON.parse((await a.next((f) => f.event === 'alert')).data ?? ''),
    );
    expect(opened).toMatchObject({ device_id: 'live-1', rule_id: 'co2-high', status: 'open' });
    await b.next((f) => f.event === 'alert');

    const ack = await fetch(`${s()}/api/v1/alerts/${opened.alert_id}/acknowledge`, {
      method: 'POST',
      headers: authed,
    });
    expect(ack.status).toBe(200);
    const acked = contract.alertSchema.parse(
      JSON.parse((await a.next((f) => f.event === 'alert')).data ?? ''),
    );
    expect(acked).toMatchObject({
      alert_id: opened.alert_id,
      status: 'acknowledged',
      acknowledged_by: 'ops',
    });

    await b.cancel(); // a client leaving frees its slot
    const c = await waitFor(
      'slot freed',
      async () => {
        const res = await open();
        if (res.status === 200) return res;
        await res.body?.cancel();
        return undefined;
      },
      5_000,
      100,
    );
    await c.body?.cancel();
    await a.cancel();
  });

  it('counts requests by route template in /metrics, and ends open streams on shutdown', async () => {
    const metrics = await (await fetch(`${s()}/metrics`)).text();
    expect(metrics).toMatch(
      /telemetry_api_requests_total\{method="GET",route="\/api\/v1\/sites",status="200"\} \d+/,
    );
    expect(metrics).toMatch(
      /telemetry_api_request_duration_seconds_bucket\{.*route="\/api\/v1\/alerts\/\{alert_id\}\/acknowledge"/,
    );
    expect(metrics).toContain('route="unmatched"');
    expect(metrics).toContain('telemetry_api_rate_limited_total');

    const res = await waitFor('a free slot', async () => {
      const r = await fetch(`${s()}/api/v1/stream`, { headers: authed });
      if (r.status === 200) return r;
      await r.body?.cancel();
      return undefined;
    });
    const stream = sseReader(res);
    await stream.next((f) => f.comment === 'connected');
    const started = Date.now();
    await strict?.api.stop();
    await stream.closed;
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(fetch(`${s()}/healthz`)).rejects.toThrow();
  });
});

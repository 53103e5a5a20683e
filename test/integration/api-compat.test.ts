import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { hashApiKey, type Api } from '@telemetry-pulse/api';
import type { Processor } from '@telemetry-pulse/processor';
import { startTestApi } from '../support/api';
import {
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { startTestProcessor } from '../support/processor';

const SIMULATOR = path.join(__dirname, '..', '..', 'services', 'simulator', 'dist', 'main.js');
const GATEWAY_KEY = 'gateway-key-0123456789abcdef';
const SITE0_KEY = 'site0-device-key-0123456789';
const OPERATOR_KEY = 'operator-key-0123456789abcdef';
const SITE1_OPERATOR_KEY = 'site1-operator-key-0123456789';

// Python writes floats with a fraction or an exponent (450.0, 1e-05); a client of the original relies on it.
const PY_FLOAT = String.raw`-?\d+(\.\d+)?(e[+-]\d\d+)?`;
const pyFloatField = (name: string) => new RegExp(`"${name}":(${PY_FLOAT}|null)[,}]`, 'g');
const ISOFORMAT_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;
const PYDANTIC_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/;

/** Every float field in the raw body is written the Python way (never `450` for 450.0). */
function expectPythonFloats(text: string, fields: readonly string[]): void {
  for (const f of fields) {
    const all = [...text.matchAll(new RegExp(`"${f}":([^,}]*)`, 'g'))].map((m) => m[1] ?? '');
    for (const v of all) expect(v === 'null' || /[.e]/.test(v)).toBe(true);
    expect(text.match(pyFloatField(f))?.length ?? 0).toBe(all.length);
  }
}

/**
 * A client of the Python original, written as its users wrote theirs: plain HTTP calls, the original's
 * field names, nothing of /api/v1. It sends readings through POST /ingest and a gateway's batch, lets the
 * real processor store them, then reads every route of both generations and checks each field, its type
 * and its order against the database; error bodies are FastAPI's. Also: the batch route's per-item
 * answers, and ingest keys kept apart from operator keys.
 */
describe('the original API, both generations, for an unchanged client (real Kafka, processor, PostgreSQL)', () => {
  const kafka: Kafka = testKafka();
  const topic = uniqueName('it.compat');
  const group = uniqueName('it-compat-processor');
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let processor: Processor | undefined;
  let api: Api | undefined;
  let url = '';
  // Readings within the last hour of wall-clock time, so the heatmap (last hour, 15 m windows) sees them.
  const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const startMs = endMs - 40 * 60_000;
  const sentIds: string[] = [];

  const post = (path: string, body: unknown, key = GATEWAY_KEY, type = 'application/json') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type, 'x-api-key': key },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const sql = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  async function getText(path: string): Promise<{ status: number; text: string; json: unknown }> {
    const res = await fetch(`${url}${path}`);
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as unknown };
  }

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    ({ processor } = await startTestProcessor({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '3',
    }));
    ({ api, url } = await startTestApi({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
      API_KEYS: `ops:${hashApiKey(OPERATOR_KEY)},ops1:${hashApiKey(SITE1_OPERATOR_KEY)}:site-1`,
      API_INGEST_KEYS: `gateway:${hashApiKey(GATEWAY_KEY)},site0:${hashApiKey(SITE0_KEY)}:site-0`,
    }));

    // A gateway: two sites, four zones, one device per zone, every 30 s; one zone's CO2 too high for
    // 10 min (opens an alert), one room too cold (another); occupancy everywhere.
    const batch: Record<string, unknown>[] = [];
    for (let t = startMs; t <= endMs; t += 30_000) {
      for (let z = 0; z < 4; z += 1) {
        const site = `site-${z % 2}`;
        const base = {
          device_id: `dev-${z}`,
          site_id: site,
          zone_id: `${site}-zone-${z}`,
          ts_event: new Date(t).toISOString(),
        };
        const minute = (t - startMs) / 60_000;
        batch.push({
          ...base,
          sensor_type: 'co2',
          value: z === 0 && minute >= 10 && minute < 20 ? 1200 : 500 + z * 10,
        });
        batch.push({
          ...base,
          sensor_type: 'temperature',
          value: z === 1 && minute >= 20 ? 16.5 : 21 + z / 4,
        });
        batch.push({ ...base, sensor_type: 'occupancy', value: (z + minute) % 7 });
      }
    }
    const res = await post('/api/v1/readings', batch);
    expect(res.status).toBe(200);
    const result = (await res.json()) as { accepted: string[]; rejected: unknown[] };
    expect(result.rejected).toEqual([]);
    expect(result.accepted).toHaveLength(batch.length);
    sentIds.push(...result.accepted);

    // The original's own client: single events, without event_id and ts_event.
    for (const value of [400, 420.5]) {
      const one = await post('/ingest', {
        device_id: 'dev-legacy',
        site_id: 'site-0',
        zone_id: 'site-0-zone-0',
        sensor_type: 'co2',
        value,
      });
      expect(one.status).toBe(201);
      expect(await one.text()).toBe('{"status":"accepted","message":"Event queued"}');
    }
    const expected = batch.length + 2;
    await waitFor(
      'processor stored every reading',
      async () =>
        (await sql<{ n: number }>('SELECT count(*)::int AS n FROM raw_events'))[0]?.n === expected
          ? true
          : undefined,
      120_000,
    );
    await waitFor(
      'both alerts opened',
      async () =>
        (await sql<{ n: number }>('SELECT count(*)::int AS n FROM alerts'))[0]?.n === 2 ? true : undefined,
      30_000,
    );
  }, 200_000);

  afterAll(async () => {
    await api?.stop();
    await processor?.stop();
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  });

  it('GET /health, /health/live, /health/ready: the original bodies', async () => {
    const health = await getText('/health');
    expect(health.status).toBe(200);
    expect(Object.keys(health.json as object)).toEqual(['status', 'version']);
    expect(health.json).toMatchObject({ status: 'ok' });
    expect((await getText('/health/live')).text).toBe('{"status":"alive"}');
    expect((await getText('/health/ready')).text).toBe('{"status":"ready"}');
  });

  it('GET /kpis/live: newest 5 m window per site/zone/sensor, the original fields in order', async () => {
    const { status, text, json } = await getText('/kpis/live');
    expect(status).toBe(200);
    const rows = json as Record<string, unknown>[];
    const expected = await sql<{
      site_id: string;
      zone_id: string;
      sensor_type: string;
      avg: number;
      mx: number;
      n: number;
      ws: Date;
    }>(
      `SELECT DISTINCT ON (site_id, zone_id, sensor_type) site_id, zone_id, sensor_type, value_avg AS avg,
              value_max AS mx, sample_count AS n, window_start AS ws
         FROM window_aggregates WHERE window_seconds = 300
        ORDER BY site_id, zone_id, sensor_type, window_start DESC`,
    );
    expect(rows.length).toBe(expected.length);
    rows.forEach((r, i) => {
      const e = expected[i];
      expect(Object.keys(r)).toEqual([
        'site_id',
        'zone_id',
        'sensor_type',
        'current_avg',
        'current_max',
        'sample_count',
        'last_updated',
      ]);
      expect(r).toEqual({
        site_id: e?.site_id,
        zone_id: e?.zone_id,
        sensor_type: e?.sensor_type,
        current_avg: e?.avg,
        current_max: e?.mx,
        sample_count: e?.n,
        last_updated: new Date((e?.ws.getTime() ?? 0) + 300_000).toISOString().replace('.000Z', '+00:00'),
      });
      expect(r['last_updated']).toMatch(ISOFORMAT_UTC);
    });
    expectPythonFloats(text, ['current_avg', 'current_max']);
    expect(text).toMatch(/"sample_count":\d+[,}]/);
    const site1 = (await getText('/kpis/live?site_id=site-1')).json as { site_id: string }[];
    expect(site1.length).toBeGreaterThan(0);
    expect(site1.every((r) => r.site_id === 'site-1')).toBe(true);
  });

  it('GET /trends: {timestamp, avg, min, max} newest first, 100 rows, 5m or else 15m windows', async () => {
    const five = await getText('/trends?sensor_type=co2&zone_id=site-0-zone-0&window=5m');
    const fiveRows = five.json as Record<string, unknown>[];
    const windows = async (seconds: number) =>
      sql<{ ts: Date; avg: number; mn: number; mx: number }>(
        `SELECT window_start AS ts, value_avg AS avg, value_min AS mn, value_max AS mx FROM window_aggregates
          WHERE window_seconds = $1 AND zone_id = 'site-0-zone-0' AND sensor_type = 'co2' ORDER BY window_start DESC LIMIT 100`,
        [seconds],
      );
    const asOriginal = (w: { ts: Date; avg: number; mn: number; mx: number }) => ({
      timestamp: w.ts.toISOString().replace('.000Z', '+00:00'),
      avg: w.avg,
      min: w.mn,
      max: w.mx,
    });
    // dev-0 and dev-legacy share the zone: the zone's windows are the original's rows.
    expect(fiveRows).toEqual((await windows(300)).map(asOriginal));
    expect(Object.keys(fiveRows[0] ?? {})).toEqual(['timestamp', 'avg', 'min', 'max']);
    expectPythonFloats(five.text, ['avg', 'min', 'max']);
    // Any window other than 5m reads 15 m windows, as the original did (no 400).
    for (const w of ['15m', '1h', '']) {
      const rows = (await getText(`/trends?sensor_type=co2&zone_id=site-0-zone-0&window=${w}`)).json;
      expect(rows).toEqual((await windows(w === '' ? 300 : 900)).map(asOriginal));
    }
    expect((await getText('/trends?sensor_type=radon')).json).toEqual([]);
    const missing = await getText('/trends');
    expect(missing.status).toBe(422);
    expect(missing.json).toEqual({
      detail: [{ type: 'missing', loc: ['query', 'sensor_type'], msg: 'Field required', input: null }],
    });
  });

  it('GET /alerts/recent and GET /alerts: both generations of alert rows, newest first', async () => {
    const stored = await sql<{
      alert_id: number;
      site_id: string;
      zone_id: string;
      trigger_value: number;
      threshold: number;
      opened_at: Date;
    }>(
      'SELECT alert_id, site_id, zone_id, trigger_value, threshold, opened_at FROM alerts ORDER BY opened_at DESC, alert_id DESC',
    );
    expect(stored.map((a) => a.threshold)).toEqual([18, 1000]); // cold room opened last
    const recent = await getText('/alerts/recent');
    expect(recent.json).toEqual(
      stored.map((a, i) => ({
        alert_id: String(a.alert_id),
        site: a.site_id,
        zone: a.zone_id,
        type: i === 0 ? 'TEMPERATURE_LOW' : 'CO2_HIGH',
        value: a.trigger_value,
        threshold: a.threshold,
        time: a.opened_at.toISOString().replace('.000Z', '+00:00'),
      })),
    );
    expect(Object.keys((recent.json as object[])[0] ?? {})).toEqual([
      'alert_id',
      'site',
      'zone',
      'type',
      'value',
      'threshold',
      'time',
    ]);
    expect(recent.text).toContain('"threshold":18.0,');
    expect(recent.text).toContain('"threshold":1000.0,');
    expect((await getText('/alerts/recent?limit=1')).json).toHaveLength(1);
    const v2 = await getText('/alerts');
    expect(v2.json).toEqual(
      stored.map((a, i) => ({
        alert_id: String(a.alert_id),
        alert_type: i === 0 ? 'TEMPERATURE_LOW' : 'CO2_HIGH',
        value: a.trigger_value,
        threshold: a.threshold,
        triggered_at: a.opened_at.toISOString().replace('.000Z', 'Z'),
        site_id: a.site_id,
        zone_id: a.zone_id,
      })),
    );
    expect(Object.keys((v2.json as object[])[0] ?? {})).toEqual([
      'alert_id',
      'alert_type',
      'value',
      'threshold',
      'triggered_at',
      'site_id',
      'zone_id',
    ]);
    expect((v2.json as { triggered_at: string }[])[0]?.triggered_at ?? '').toMatch(PYDANTIC_UTC);
    expectPythonFloats(v2.text, ['value', 'threshold']);
    const bad = await getText('/alerts?limit=ten');
    expect(bad.status).toBe(422);
    expect(bad.json).toEqual({
      detail: [
        {
          type: 'int_parsing',
          loc: ['query', 'limit'],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          input: 'ten',
        },
      ],
    });
  });

  it('GET /utilization/heatmap: {site_id, zone_id, occupancy_rate}, the mean of the last hour of 15 m windows', async () => {
    const { text, json } = await getText('/utilization/heatmap');
    const expected = await sql<{ site_id: string; zone_id: string; rate: number }>(
      `SELECT site_id, zone_id, avg(value_avg) AS rate FROM window_aggregates
        WHERE window_seconds = 900 AND sensor_type = 'occupancy' AND window_start > now() - interval '1 hour'
        GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(expected).toHaveLength(4);
    expect(json).toEqual(
      expected.map((e) => ({ site_id: e.site_id, zone_id: e.zone_id, occupancy_rate: e.rate })),
    );
    expectPythonFloats(text, ['occupancy_rate']);
    expect(
      ((await getText('/utilization/heatmap?site_id=site-1')).json as { site_id: string }[]).map(
        (r) => r.site_id,
      ),
    ).toEqual(['site-1', 'site-1']);
  });

  it('GET /devices/{device_id}: real figures of the last hour, 404 as the original', async () => {
    const { text, json } = await getText('/devices/dev-1');
    const [e] = await sql<{ last: Date; avg_temp: number; max_co2: number }>(
      `SELECT max(ts_event) AS last,
              avg(value) FILTER (WHERE sensor_type = 'temperature' AND ts_event > $1::timestamptz - interval '1 hour') AS avg_temp,
              max(value) FILTER (WHERE sensor_type = 'co2' AND ts_event > $1::timestamptz - interval '1 hour') AS max_co2
         FROM raw_events WHERE device_id = 'dev-1'`,
      [new Date(endMs)],
    );
    expect(json).toEqual({
      device_id: 'dev-1',
      avg_temp: e?.avg_temp,
      max_co2: e?.max_co2,
      last_seen: e?.last.toISOString().replace('.000Z', 'Z'),
    });
    expect(Object.keys(json as object)).toEqual(['device_id', 'avg_temp', 'max_co2', 'last_seen']);
    expect(text).toMatch(/"max_co2":510\.0,/);
    const missing = await getText('/devices/nobody');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('{"detail":"Device not found"}');
  });

  it('POST /ingest: the original status and bodies for invalid readings, wrong keys and foreign sites', async () => {
    const reading = { device_id: 'd', site_id: 'site-0', zone_id: 'z', sensor_type: 'humidity', value: 140 };
    const invalid = await post('/ingest', reading);
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toEqual({
      detail: [
        {
          type: 'value_error',
          loc: ['body', 'value'],
          msg: 'Value error, humidity must be within 0..100 %',
          input: 140,
        },
      ],
    });
    const missing = await post('/ingest', { ...reading, value: undefined });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({
      detail: [
        {
          type: 'missing',
          loc: ['body', 'value'],
          msg: 'Field required',
          input: { ...reading, value: undefined },
        },
      ],
    });
    const noKey = await fetch(`${url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reading),
    });
    expect(noKey.status).toBe(401);
    expect(Object.keys((await noKey.json()) as object)).toEqual(['detail']);
    // An operator key cannot send readings, an ingest key cannot acknowledge, a site key only its site.
    expect((await post('/ingest', { ...reading, value: 40 }, OPERATOR_KEY)).status).toBe(403);
    expect((await post('/api/v1/alerts/1/acknowledge', {}, GATEWAY_KEY)).status).toBe(403);
    const foreign = await post('/ingest', { ...reading, site_id: 'site-1', value: 40 }, SITE0_KEY);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ detail: 'this key may not write site site-1' });
  });

  it('POST /api/v1/readings: per-item answers, ids assigned and returned, NDJSON too', async () => {
    const id = randomUUID();
    const items = [
      {
        event_id: id,
        device_id: 'nd-1',
        site_id: 'site-0',
        zone_id: 'site-0-zone-0',
        sensor_type: 'co2',
        value: 700,
      },
      { device_id: 'nd-1', site_id: 'site-0', zone_id: 'site-0-zone-0', sensor_type: 'co2', value: -5 },
      'not a reading',
      { device_id: 'nd-1', site_id: 'site-1', zone_id: 'site-1-zone-1', sensor_type: 'occupancy', value: 3 },
    ];
    const ndjson = `${items.map((i) => JSON.stringify(i)).join('\n')}\n{broken\n`;
    const res = await post('/api/v1/readings', ndjson, SITE0_KEY, 'application/x-ndjson');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      accepted: string[];
      rejected: { index: number; code: string; reason: string }[];
    };
    expect(body.accepted).toEqual([id]);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'SCHEMA_VIOLATION'],
      [2, 'SCHEMA_VIOLATION'],
      [3, 'SITE_NOT_ALLOWED'],
      [4, 'INVALID_JSON'],
    ]);
    expect(body.rejected[0]?.reason).toBe('value: co2 must be within 0..10000 ppm');
    await waitFor('the accepted reading stored', async () =>
      (await sql('SELECT 1 FROM raw_events WHERE event_id = $1', [id])).length === 1 ? true : undefined,
    );
    const many = await post(
      '/api/v1/readings',
      Array.from({ length: 10_001 }, () => ({})),
    );
    expect(many.status).toBe(413);
    expect(many.headers.get('content-type')).toBe('application/problem+json');
  });

  it('a batch of 10,000 with 1 % invalid items stores exactly the valid ones', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      event_id: randomUUID(),
      device_id: `bulk-${i % 50}`,
      site_id: 'site-0',
      zone_id: 'site-0-zone-8',
      sensor_type: 'humidity',
      value: i % 100 === 37 ? 101 : 40 + (i % 20),
      ts_event: new Date(endMs - (i % 600) * 1000).toISOString(),
    }));
    const res = await post('/api/v1/readings', items);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: string[]; rejected: { index: number; code: string }[] };
    const valid = items.filter((_, i) => i % 100 !== 37).map((it) => it.event_id);
    expect(body.accepted).toEqual(valid);
    expect(body.rejected.map((r) => r.index)).toEqual(items.flatMap((_, i) => (i % 100 === 37 ? [i] : [])));
    expect(new Set(body.rejected.map((r) => r.code))).toEqual(new Set(['SCHEMA_VIOLATION']));
    const stored = await waitFor(
      'the valid items stored',
      async () => {
        const [row] = await sql<{ n: number }>(
          "SELECT count(*)::int AS n FROM raw_events WHERE zone_id = 'site-0-zone-8'",
        );
        return row?.n === valid.length ? row.n : undefined;
      },
      90_000,
    );
    expect(stored).toBe(9_900);
    const [check] = await sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM raw_events WHERE event_id = ANY($1::uuid[])',
      [valid],
    );
    expect(check?.n).toBe(9_900);
  }, 120_000);

  it('an operator key limited to a site acts on its alerts only', async () => {
    const alerts = await sql<{ alert_id: number; site_id: string }>(
      'SELECT alert_id, site_id FROM alerts ORDER BY site_id',
    );
    const [site0, site1] = alerts;
    expect([site0?.site_id, site1?.site_id]).toEqual(['site-0', 'site-1']);
    const foreign = await post(`/api/v1/alerts/${site0?.alert_id}/acknowledge`, {}, SITE1_OPERATOR_KEY);
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toBe('application/problem+json');
    expect((await post(`/api/v1/alerts/${site1?.alert_id}/acknowledge`, {}, SITE1_OPERATOR_KEY)).status).toBe(
      200,
    );
    // The unrestricted key passes the site check and meets the state rule: that CO2 alert is resolved.
    expect((await post(`/api/v1/alerts/${site0?.alert_id}/acknowledge`, {}, OPERATOR_KEY)).status).toBe(409);
  });

  it('limits ingest per key in readings per second, and accepts anonymous readings only when asked to', async () => {
    const limited = await startTestApi({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
      API_INGEST_KEYS: `gateway:${hashApiKey(GATEWAY_KEY)}`,
      API_INGEST_ANONYMOUS: 'true',
      API_INGEST_RATE_LIMIT: '1',
      API_INGEST_RATE_BURST: '20',
      API_INGEST_MAX_ITEMS: '20',
    });
    try {
      const items = (n: number) =>
        Array.from({ length: n }, () => ({
          device_id: 'rl',
          site_id: 'site-1',
          zone_id: 'site-1-zone-7',
          sensor_type: 'co2',
          value: 450,
        }));
      const send = (body: unknown, p = '/api/v1/readings', key: string | null = GATEWAY_KEY) =>
        fetch(`${limited.url}${p}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
          body: JSON.stringify(body),
        });
      expect((await send(items(20))).status).toBe(200); // the whole burst at once
      const refused = await send(items(5));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(4);
      const legacy = await send(items(1)[0], '/ingest');
      expect(legacy.status).toBe(429);
      expect(Object.keys((await legacy.json()) as object)).toEqual(['detail']);
      // Without a key: allowed here (API_INGEST_ANONYMOUS), charged to the client's address.
      const anonymous = await send(items(1)[0], '/ingest', null);
      expect([anonymous.status, await anonymous.text()]).toEqual([
        201,
        '{"status":"accepted","message":"Event queued"}',
      ]);
      // The default API (no anonymous ingest) refused the same call with 401 (see the POST /ingest test).
      await waitFor('the readings of this test stored', async () =>
        (await sql<{ n: number }>("SELECT count(*)::int AS n FROM raw_events WHERE device_id = 'rl'"))[0]
          ?.n === 21
          ? true
          : undefined,
      );
    } finally {
      await limited.api.stop();
    }
  });

  it('simulator --transport http: a fleet sent through the API, every reading stored', async () => {
    const count = async () =>
      (await sql<{ n: number }>('SELECT count(*)::int AS n FROM raw_events'))[0]?.n ?? 0;
    const before = await count();
    const args = ['--transport', 'http', '--api-url', url, '--count', '300', '--rate', '0', '--seed', '7'];
    args.push('--sites', '2', '--zones', '2', '--devices', '2', '--batch-size', '64', '--anomaly-rate', '0');
    args.push(
      '--duplicate-rate',
      '0',
      '--late-rate',
      '0',
      '--out-of-order-rate',
      '0',
      '--malformed-rate',
      '0',
    );
    const exit = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [SIMULATOR, ...args], {
        env: {
          ...process.env,
          SIM_API_KEY: GATEWAY_KEY,
          SIM_METRICS_PORT: '0',
          SIM_METRICS_HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(exit).toMatchObject({ code: 0 });
    const stored = await waitFor(
      'the simulated readings stored',
      async () => ((await count()) >= before + 300 ? count() : undefined),
      60_000,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}; ${(await count()) - before} stored; simulator said: ${exit.stderr.slice(-2000)}`,
      );
    });
    expect(stored).toBe(before + 300);
  }, 90_000);
});

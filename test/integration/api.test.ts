import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import type { z } from 'zod';
import { contract, hashApiKey, type Api } from '@telemetry-pulse/api';
import type { Processor } from '@telemetry-pulse/processor';
import { startTestApi } from '../support/api';
import { apiFleet } from '../support/api-data';
import { publish } from '../support/events';
import {
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { appliedRecords } from '../support/pipeline';
import { startTestProcessor } from '../support/processor';

const KEY = 'test-key-0123456789abcdef';

/**
 * The API against the real PostgreSQL filled by the real processor: every read route's happy path checked
 * against SQL, aggregates against a recomputation from the raw readings, keyset walks, the alert actions
 * with their auth, and bad parameters answered with problem documents.
 */
describe('API (real processor, PostgreSQL and Kafka)', () => {
  const kafka: Kafka = testKafka();
  const topic = uniqueName('it.api');
  const group = uniqueName('it-api-processor');
  const fixedNow = Date.now();
  const fleet = apiFleet(fixedNow);
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let producer: Producer;
  let processor: Processor | undefined;
  let api: Api | undefined;
  let url = '';

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    producer = kafka.producer();
    await producer.connect();
    ({ processor } = await startTestProcessor({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: `${topic}.dlq`,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '3',
    }));
    await publish(producer, topic, fleet.events);
    await publish(producer, topic, fleet.late);
    await producer.send({ topic, messages: [{ key: 'dev-0', value: '{"not":"a reading"' }] });
    const sent = fleet.events.length + fleet.late.length + 1;
    await waitFor(
      'processor drained',
      async () => ((await appliedRecords(pool, group, topic)) === sent ? true : undefined),
      120_000,
    );
    ({ api, url } = await startTestApi(
      {
        DATABASE_URL: db.url,
        API_KEYS: `ops:${hashApiKey(KEY)}`,
        PROCESSOR_TOPIC: topic,
        PROCESSOR_GROUP_ID: group,
      },
      { now: () => fixedNow },
    ));
  }, 170_000);

  afterAll(async () => {
    await api?.stop();
    await processor?.stop();
    await producer.disconnect();
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  });

  /** GETs a route, expects 200 JSON and validates the body against the route's own response schema. */
  async function get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    const res = await fetch(`${url}${path}`);
    const body: unknown = await res.json();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return schema.parse(body);
  }

  /** Follows next_cursor to the end, `limit` items at a time. */
  async function walk<T>(
    path: string,
    schema: z.ZodType<{ items: T[]; next_cursor: string | null }>,
    limit: number,
  ) {
    const items: T[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: { items: T[]; next_cursor: string | null } = await get(
        `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        schema,
      );
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 10_000);
    return { items, pages };
  }

  const sql = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  const close = (a: number | null, b: number | null) =>
    a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));

  it('lists sites, zones and devices (with silent status), and walks them page by page', async () => {
    const sites = await walk('/api/v1/sites', contract.sitesPage, 1);
    expect(sites.pages).toBe(2);
    expect(sites.items).toEqual(
      await sql(`SELECT site_id, count(DISTINCT zone_id)::int AS zones, count(*)::int AS devices,
                        to_char(max(last_seen_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_seen_at
                   FROM devices GROUP BY site_id ORDER BY site_id`),
    );
    const zones = await walk('/api/v1/zones', contract.zonesPage, 2);
    expect(zones.items.map((z) => `${z.site_id}/${z.zone_id}:${z.devices}`)).toEqual(
      (
        await sql<{ k: string }>(
          `SELECT site_id || '/' || zone_id || ':' || count(*) AS k FROM devices GROUP BY site_id, zone_id ORDER BY site_id, zone_id`,
        )
      ).map((r) => r.k),
    );
    const devices = await walk('/api/v1/devices', contract.devicesPage, 7);
    expect(devices.items).toHaveLength(33);
    expect(new Set(devices.items.map((d) => d.device_id)).size).toBe(33);
    expect(devices.items.filter((d) => d.status === 'silent').map((d) => d.device_id)).toEqual(['dev-quiet']);
    const filtered = await get('/api/v1/devices?site_id=site-1&zone_id=site-1-zone-0', contract.devicesPage);
    expect(filtered.items.map((d) => d.device_id).sort()).toEqual(['dev-3', 'dev-9', 'dev-quiet']);
  });

  it('serves the latest window per zone and the latest reading per device, equal to SQL', async () => {
    const zones = await walk('/api/v1/zones/latest', contract.zonesLatestPage, 5);
    const expected = await sql<{ k: string; avg: number; n: number }>(
      `SELECT DISTINCT ON (site_id, zone_id, sensor_type) site_id || '/' || zone_id || '/' || sensor_type AS k,
              value_avg AS avg, sample_count AS n
         FROM window_aggregates WHERE window_seconds = 300
        ORDER BY site_id, zone_id, sensor_type, window_start DESC`,
    );
    expect(zones.items.map((z) => `${z.site_id}/${z.zone_id}/${z.sensor_type}`)).toEqual(
      expected.map((e) => e.k),
    );
    expect(zones.items.map((z) => [z.value, z.count])).toEqual(expected.map((e) => [e.avg, e.n]));
    const co2Only = await get(
      '/api/v1/zones/latest?site_id=site-1&sensor_type=co2',
      contract.zonesLatestPage,
    );
    expect(co2Only.items.every((z) => z.site_id === 'site-1' && z.sensor_type === 'co2')).toBe(true);
    expect(co2Only.items).toHaveLength(3);

    const devices = await walk('/api/v1/devices/latest', contract.devicesLatestPage, 9);
    const latest = await sql<{ k: string; value: number; ts: Date }>(
      `SELECT DISTINCT ON (device_id, sensor_type) device_id || '/' || sensor_type AS k, value, ts_event AS ts
         FROM raw_events ORDER BY device_id, sensor_type, ts_event DESC`,
    );
    expect(devices.items.map((d) => [`${d.device_id}/${d.sensor_type}`, d.value, d.ts_event])).toEqual(
      latest.map((r) => [r.k, r.value, r.ts.toISOString()]),
    );
    const one = await get(
      '/api/v1/devices/latest?device_id=dev-3&sensor_type=humidity',
      contract.devicesLatestPage,
    );
    expect(one.items).toHaveLength(1);
  });

  it('returns aggregates at 5m, 15m, 1h and 1d equal to a recomputation from the raw readings', async () => {
    const from = new Date(fleet.endMs - 4 * 86_400_000).toISOString();
    const to = new Date(fixedNow).toISOString();
    const widths = { '5m': 300, '15m': 900, '1h': 3600, '1d': 86_400 } as const;
    for (const [bucket, seconds] of Object.entries(widths)) {
      for (const filter of [
        { site: 'site-0', zone: 'site-0-zone-1' },
        { site: null, zone: null },
        { site: 'site-0', zone: null },
      ]) {
        for (const sensor of ['co2', 'temperature']) {
          const q = new URLSearchParams({ sensor_type: sensor, bucket, from, to, limit: '1000' });
          if (filter.site) q.set('site_id', filter.site);
          if (filter.zone) q.set('zone_id', filter.zone);
          const page = await get(`/api/v1/aggregates?${q}`, contract.aggregatesPage);
          const expected = await sql<{
            b: Date;
            n: number;
            avg: number;
            mn: number;
            mx: number;
            sd: number | null;
          }>(
            `SELECT date_bin(make_interval(secs => $1), ts_event, timestamptz 'epoch') AS b, count(*)::int AS n,
                    avg(value) AS avg, min(value) AS mn, max(value) AS mx, stddev_samp(value) AS sd
               FROM raw_events
              WHERE lateness <> 'too_late' AND sensor_type = $2
                AND ($3::text IS NULL OR site_id = $3) AND ($4::text IS NULL OR zone_id = $4)
              GROUP BY 1 ORDER BY 1`,
            [seconds, sensor, filter.site, filter.zone],
          );
          expect(page.next_cursor).toBeNull();
          expect(page.items.map((i) => [i.bucket_start, i.count, i.min, i.max])).toEqual(
            expected.map((e) => [e.b.toISOString(), e.n, e.mn, e.mx]),
          );
          page.items.forEach((item, i) => {
            expect(close(item.avg, expected[i]?.avg ?? NaN)).toBe(true);
            expect(close(item.stddev, expected[i]?.sd ?? null)).toBe(true);
          });
        }
      }
    }
    const all = await get(
      `/api/v1/aggregates?sensor_type=co2&bucket=5m&from=${from}&to=${to}&limit=1000`,
      contract.aggregatesPage,
    );
    const walked = await walk(
      `/api/v1/aggregates?sensor_type=co2&bucket=5m&from=${from}&to=${to}`,
      contract.aggregatesPage,
      7,
    );
    expect(walked.items).toEqual(all.items);
    expect(walked.pages).toBe(Math.ceil(all.items.length / 7));
  });

  // The compatibility routes (the original's shapes) are checked by api-compat.test.ts.

  it('reports the pipeline status with exact counts and consumer lag', async () => {
    const status = await get('/api/v1/pipeline/status', contract.pipelineStatusSchema);
    expect(status).toMatchObject({
      events_ingested: fleet.events.length + fleet.late.length,
      dead_letters: 1,
      dead_letters_last_hour: 1,
      late_events: 1,
      too_late_events: 1,
      total_lag: 0,
      lag_error: null,
      stalled_partitions: [], // nothing waits, so nothing can be stalled
      stall_after_seconds: 120,
      checked_at: new Date(fixedNow).toISOString(),
    });
    expect(['flowing', 'idle']).toContain(status.state);
    // When the group last applied a batch, from its progress rows, by the database's clock.
    const applied = await sql<{ at: Date }>(
      'SELECT max(updated_at) AS at FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    );
    expect(status.last_applied_at).toBe(applied[0]?.at.toISOString());
    expect(status.consumer_lag.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of status.consumer_lag) expect(p.idle_seconds).toBeGreaterThanOrEqual(0);
    expect(status.events_last_minute).toBeLessThanOrEqual(status.events_ingested);
  });
  it('walks every alert exactly once, newest first, and filters them like SQL', async () => {
    const walked = await walk('/api/v1/alerts', contract.alertsPage, 7);
    const ids = await sql<{ alert_id: number }>(
      'SELECT alert_id FROM alerts ORDER BY opened_at DESC, alert_id DESC',
    );
    expect(ids.length).toBeGreaterThan(300);
    expect(walked.items.map((a) => a.alert_id)).toEqual(ids.map((r) => r.alert_id));
    // Pairs of devices open at the same instant: the walk crosses ties on opened_at without loss.
    const ties = await sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT opened_at FROM alerts GROUP BY 1 HAVING count(*) > 1) t',
    );
    expect(ties[0]?.n).toBeGreaterThan(10);

    const count = async (where: string, values: unknown[] = []) =>
      (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE ${where}`, values))[0]?.n;
    const from = new Date(fleet.endMs - 3600_000).toISOString();
    const to = new Date(fleet.endMs - 1800_000).toISOString();
    const cases: [string, string, unknown[]][] = [
      ['status=open,acknowledged', "status IN ('open', 'acknowledged')", []],
      ['status=resolved&severity=critical', "status = 'resolved' AND severity = 'critical'", []],
      ['site_id=site-1', "site_id = 'site-1'", []],
      ['zone_id=site-0-zone-9&device_id=co2-04', "zone_id = 'site-0-zone-9' AND device_id = 'co2-04'", []],
      ['rule_id=device-silent', "rule_id = 'device-silent'", []],
      [`from=${from}&to=${to}`, 'opened_at >= $1 AND opened_at < $2', [from, to]],
    ];
    for (const [query, where, values] of cases) {
      const { items } = await walk(`/api/v1/alerts?${query}`, contract.alertsPage, 50);
      expect([query, items.length]).toEqual([query, await count(where, values)]);
    }
    const silent = await get('/api/v1/alerts?rule_id=device-silent', contract.alertsPage);
    expect(silent.items.map((a) => [a.device_id, a.sensor_type, a.status])).toEqual([
      ['dev-quiet', 'device', 'open'],
    ]);
  });

  it('acknowledges and resolves alerts with an API key: 401, 403, 404, 409 and problem bodies', async () => {
    const [open] = await sql<{ alert_id: number }>(
      "SELECT alert_id FROM alerts WHERE status = 'open' AND rule_id = 'co2-high' ORDER BY alert_id LIMIT 1",
    );
    const id = open?.alert_id ?? -1;
    const post = (path: string, init: { key?: string; body?: string; type?: string } = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          ...(init.key !== undefined ? { 'x-api-key': init.key } : {}),
          ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
    const problem = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = contract.problemSchema.parse(await res.json());
      expect(body.status).toBe(status);
      return body;
    };

    const missing = await post(`/api/v1/alerts/${id}/acknowledge`);
    expect((await problem(missing, 401)).type).toBe('/problems/unauthorized');
    expect(missing.headers.get('www-authenticate')).toContain('x-api-key');
    await problem(await post(`/api/v1/alerts/${id}/acknowledge`, { key: 'wrong-key-0000000000' }), 403);

    const acked = await post(`/api/v1/alerts/${id}/acknowledge`, { key: KEY, body: '{"by":"alice"}' });
    expect(acked.status).toBe(200);
    expect(contract.alertSchema.parse(await acked.json())).toMatchObject({
      alert_id: id,
      status: 'acknowledged',
      acknowledged_by: 'alice',
    });
    const again = await post(`/api/v1/alerts/${id}/acknowledge`, { key: KEY });
    expect(((await again.json()) as { acknowledged_by: string }).acknowledged_by).toBe('alice'); // unchanged

    const resolved = await post(`/api/v1/alerts/${id}/resolve`, { key: KEY, body: '{}' });
    expect(contract.alertSchema.parse(await resolved.json())).toMatchObject({
      status: 'resolved',
      resolved_by: 'ops',
    });
    expect((await problem(await post(`/api/v1/alerts/${id}/resolve`, { key: KEY }), 409)).detail).toContain(
      'already resolved',
    );
    await problem(await post(`/api/v1/alerts/${id}/acknowledge`, { key: KEY }), 409);
    await problem(await post('/api/v1/alerts/99999999/resolve', { key: KEY }), 404);
    await problem(await post('/api/v1/alerts/abc/resolve', { key: KEY }), 400);
    await problem(await post(`/api/v1/alerts/${id}/resolve`, { key: KEY, body: '{"by":' }), 400);
    await problem(await post(`/api/v1/alerts/${id}/resolve`, { key: KEY, body: '{"who":"x"}' }), 400);
    // A person resolving as "engine" would look like the engine's own resolve to the processor.
    expect(
      (await problem(await post(`/api/v1/alerts/${id}/resolve`, { key: KEY, body: '{"by":"ENGINE"}' }), 400))
        .detail,
    ).toContain('reserved');
    await problem(
      await post(`/api/v1/alerts/${id}/resolve`, { key: KEY, body: 'by=x', type: 'text/plain' }),
      415,
    );
    await problem(
      await post(`/api/v1/alerts/${id}/resolve`, {
        key: KEY,
        body: JSON.stringify({ by: 'x'.repeat(20_000) }),
      }),
      413,
    );
    const stored = await sql<{ status: string; resolved_by: string }>(
      'SELECT status, resolved_by FROM alerts WHERE alert_id = $1',
      [id],
    );
    expect(stored).toEqual([{ status: 'resolved', resolved_by: 'ops' }]);
  });

  it.each([
    ['/api/v1/sites?limit=0', 'limit'],
    ['/api/v1/sites?limit=abc', 'limit'],
    ['/api/v1/sites?limit=1001', 'limit'],
    ['/api/v1/sites?limit=5&limit=6', 'limit'],
    ['/api/v1/sites?cursor=bm9wZQ', 'cursor'],
    ['/api/v1/zones?cursor=' + Buffer.from('["a"]').toString('base64url'), 'cursor'],
    ['/api/v1/devices?zone=x', 'zone'],
    ['/api/v1/zones/latest?sensor_type=radon', 'sensor_type'],
    ['/api/v1/aggregates?bucket=1h', 'sensor_type'],
    ['/api/v1/aggregates?sensor_type=co2&bucket=2h', 'bucket'],
    ['/api/v1/aggregates?sensor_type=co2&from=yesterday', 'from'],
    ['/api/v1/aggregates?sensor_type=co2&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['/api/v1/alerts?status=open,bogus', 'status'],
    ['/api/v1/alerts?severity=high', 'severity'],
    ['/api/v1/alerts?from=2026-01-01T00:00:00', 'from'],
    ['/api/v1/pipeline/status?verbose=1', 'verbose'],
  ])('%s is a 400 problem naming %s', async (path, name) => {
    const res = await fetch(`${url}${path}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = contract.problemSchema.parse(await res.json());
    expect(body).toMatchObject({
      type: '/problems/invalid-request',
      status: 400,
      instance: path.split('?')[0],
    });
    expect(body.errors?.map((e) => e.name)).toContain(name);
  });
});

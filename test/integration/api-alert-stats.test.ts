import pg from 'pg';
import { contract, type Api } from '@telemetry-pulse/api';
import { startTestApi } from '../support/api';
import { createScratchDatabase, type ScratchDatabase } from '../support/infra';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;
const T1 = T0 + 10 * DAY;
const at = (ms: number) => new Date(ms).toISOString();

interface Row {
  device: string;
  site: string;
  zone: string;
  rule: string;
  severity?: 'info' | 'warning' | 'critical';
  openedMs: number;
  ackMs?: number;
  resolvedMs?: number;
}

/**
 * Alerts with known times, written straight into the table, so every figure below is worked out by hand
 * (percentile_cont interpolates: p90 of 60, 120, 300 is 120 + 0.8 × 180 = 264).
 *
 * site-a/co2-high: dev-1 opens at +1h (ack 60 s, resolved 600 s), reopens 5 min after that resolve (ack 120 s,
 * resolved 1200 s): a flap; dev-2 at +2h (ack 300 s, still acknowledged); dev-3 at +2h30 (open).
 * site-a/temp-low: dev-1 at +4h, resolved after 30 s, never acknowledged.
 * site-b/co2-high: dev-9 resolved 10 min before the period and reopened 15 min later (+5 min), critical, acknowledged
 * 30 s before it opened by event time (counts as 0), resolved after an hour: a flap at the default 15 min.
 * Outside the period: dev-9's first alert, and dev-1's co2-high at exactly `to` (exclusive).
 */
const ROWS: Row[] = [
  {
    device: 'dev-1',
    site: 'site-a',
    zone: 'zone-1',
    rule: 'co2-high',
    openedMs: T0 + H,
    ackMs: 60 * S,
    resolvedMs: 600 * S,
  },
  {
    device: 'dev-1',
    site: 'site-a',
    zone: 'zone-1',
    rule: 'co2-high',
    openedMs: T0 + H + 600 * S + 5 * MIN,
    ackMs: 120 * S,
    resolvedMs: 1200 * S,
  },
  { device: 'dev-2', site: 'site-a', zone: 'zone-2', rule: 'co2-high', openedMs: T0 + 2 * H, ackMs: 300 * S },
  { device: 'dev-3', site: 'site-a', zone: 'zone-1', rule: 'co2-high', openedMs: T0 + 2.5 * H },
  {
    device: 'dev-1',
    site: 'site-a',
    zone: 'zone-1',
    rule: 'temp-low',
    openedMs: T0 + 4 * H,
    resolvedMs: 30 * S,
  },
  {
    device: 'dev-9',
    site: 'site-b',
    zone: 'zone-9',
    rule: 'co2-high',
    openedMs: T0 - H,
    resolvedMs: 50 * MIN,
  },
  {
    device: 'dev-9',
    site: 'site-b',
    zone: 'zone-9',
    rule: 'co2-high',
    severity: 'critical',
    openedMs: T0 + 5 * MIN,
    ackMs: -30 * S,
    resolvedMs: H,
  },
  { device: 'dev-1', site: 'site-a', zone: 'zone-1', rule: 'co2-high', openedMs: T0 + DAY, resolvedMs: MIN },
  // Ten days later, dev-5: critical, warning 30 min later (no flap), critical again 10 min after that one's
  // resolve (a flap, whose previous alert a severity filter hides).
  {
    device: 'dev-5',
    site: 'site-c',
    zone: 'zone-5',
    rule: 'hum-high',
    severity: 'critical',
    openedMs: T1,
    resolvedMs: MIN,
  },
  {
    device: 'dev-5',
    site: 'site-c',
    zone: 'zone-5',
    rule: 'hum-high',
    openedMs: T1 + 30 * MIN,
    resolvedMs: MIN,
  },
  {
    device: 'dev-5',
    site: 'site-c',
    zone: 'zone-5',
    rule: 'hum-high',
    severity: 'critical',
    openedMs: T1 + 41 * MIN,
    resolvedMs: MIN,
  },
];

const FROM = at(T0);
const TO = at(T0 + DAY);

/**
 * GET /api/v1/alerts/stats against the real PostgreSQL: exact percentiles, flaps (the previous alert may
 * be older than the period; the window's edge is inclusive), filters, the default period, an empty period,
 * and bad parameters answered with problem documents.
 */
describe('alert analytics (GET /api/v1/alerts/stats, real PostgreSQL)', () => {
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let api: Api | undefined;
  let url = '';
  const now = T0 + DAY + H;

  beforeAll(async () => {
    db = await createScratchDatabase();
    ({ api, url } = await startTestApi({ DATABASE_URL: db.url }, { now: () => now })); // migrates
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    for (const r of ROWS) {
      const status =
        r.resolvedMs !== undefined ? 'resolved' : r.ackMs !== undefined ? 'acknowledged' : 'open';
      await pool.query(
        `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message,
                             opened_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by)
         VALUES ($1, $2, $3, $4, 'co2', $5, $6, 'test', $7, $8, $9, $10, $11)`,
        [
          r.rule,
          r.device,
          r.site,
          r.zone,
          r.severity ?? 'warning',
          status,
          at(r.openedMs),
          r.ackMs === undefined ? null : at(r.openedMs + r.ackMs),
          r.ackMs === undefined ? null : 'ops',
          r.resolvedMs === undefined ? null : at(r.openedMs + r.resolvedMs),
          r.resolvedMs === undefined ? null : 'engine',
        ],
      );
    }
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await pool?.end();
    await db?.drop();
  });

  async function stats(query: string) {
    const res = await fetch(`${url}/api/v1/alerts/stats?${query}`);
    const body: unknown = await res.json();
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${JSON.stringify(body)}`);
    return contract.alertStatsSchema.parse(body);
  }

  async function problem(query: string) {
    const res = await fetch(`${url}/api/v1/alerts/stats?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return contract.problemSchema.parse(await res.json());
  }

  it('answers exact counts, percentiles and flaps per site and rule, in total and per device', async () => {
    const s = await stats(`from=${FROM}&to=${TO}`);
    expect(s).toEqual({
      from: FROM,
      to: TO,
      flap_minutes: 15,
      totals: {
        alerts: 6,
        acknowledged: 4,
        resolved: 4,
        flaps: 2,
        devices: 4,
        // 0, 60, 120, 300: p90 at 2.7 → 120 + 0.7 × 180; 30, 600, 1200, 3600: p90 → 1200 + 0.7 × 2400
        time_to_acknowledge: { p50: 90, p90: 246, max: 300 },
        time_to_resolve: { p50: 900, p90: 2880, max: 3600 },
      },
      by_site_rule: [
        {
          site_id: 'site-a',
          rule_id: 'co2-high',
          alerts: 4,
          acknowledged: 3,
          resolved: 2,
          flaps: 1,
          time_to_acknowledge: { p50: 120, p90: 264, max: 300 },
          time_to_resolve: { p50: 900, p90: 1140, max: 1200 },
        },
        {
          site_id: 'site-a',
          rule_id: 'temp-low',
          alerts: 1,
          acknowledged: 0,
          resolved: 1,
          flaps: 0,
          time_to_acknowledge: null,
          time_to_resolve: { p50: 30, p90: 30, max: 30 },
        },
        {
          site_id: 'site-b',
          rule_id: 'co2-high',
          alerts: 1,
          acknowledged: 1,
          resolved: 1,
          flaps: 1,
          time_to_acknowledge: { p50: 0, p90: 0, max: 0 },
          time_to_resolve: { p50: 3600, p90: 3600, max: 3600 },
        },
      ],
      devices: [
        { device_id: 'dev-1', site_id: 'site-a', zone_id: 'zone-1', alerts: 3, flaps: 1 },
        { device_id: 'dev-9', site_id: 'site-b', zone_id: 'zone-9', alerts: 1, flaps: 1 },
        { device_id: 'dev-2', site_id: 'site-a', zone_id: 'zone-2', alerts: 1, flaps: 0 },
        { device_id: 'dev-3', site_id: 'site-a', zone_id: 'zone-1', alerts: 1, flaps: 0 },
      ],
    });
  });

  it('counts a flap up to and including flap_minutes after the previous resolve', async () => {
    // dev-9 reopened exactly 15 min after its resolve, dev-1 5 min after.
    expect((await stats(`from=${FROM}&to=${TO}&flap_minutes=15`)).totals.flaps).toBe(2);
    expect((await stats(`from=${FROM}&to=${TO}&flap_minutes=14`)).totals.flaps).toBe(1);
    expect((await stats(`from=${FROM}&to=${TO}&flap_minutes=5`)).totals.flaps).toBe(1);
    expect((await stats(`from=${FROM}&to=${TO}&flap_minutes=4`)).totals.flaps).toBe(0);
  });

  it('finds a flap’s previous alert even where a filter hides it', async () => {
    const period = `from=${at(T1)}&to=${at(T1 + DAY)}`;
    expect((await stats(period)).totals).toMatchObject({ alerts: 3, flaps: 1 });
    expect((await stats(`${period}&rule_id=hum-high`)).totals).toMatchObject({ alerts: 3, flaps: 1 });
    // Only the two critical ones: the second's previous alert is the warning in between, not the first.
    expect((await stats(`${period}&severity=critical`)).totals).toMatchObject({ alerts: 2, flaps: 1 });
    expect((await stats(`${period}&severity=warning`)).totals).toMatchObject({ alerts: 1, flaps: 0 });
    // A period that starts after the first two: the previous alert is found before the period.
    const late = await stats(`from=${at(T1 + 35 * MIN)}&to=${at(T1 + DAY)}`);
    expect(late.totals).toMatchObject({ alerts: 1, flaps: 1 });
  });

  it('filters by site, zone, rule and severity, and lists the top devices', async () => {
    const siteB = await stats(`from=${FROM}&to=${TO}&site_id=site-b`);
    expect(siteB.by_site_rule.map((g) => [g.site_id, g.rule_id])).toEqual([['site-b', 'co2-high']]);
    expect(siteB.totals).toMatchObject({ alerts: 1, devices: 1, flaps: 1 });

    const zone2 = await stats(`from=${FROM}&to=${TO}&zone_id=zone-2`);
    expect(zone2.devices.map((d) => d.device_id)).toEqual(['dev-2']);
    expect(zone2.totals.time_to_acknowledge).toEqual({ p50: 300, p90: 300, max: 300 });

    const tempLow = await stats(`from=${FROM}&to=${TO}&rule_id=temp-low`);
    expect(tempLow.totals).toMatchObject({ alerts: 1, acknowledged: 0, time_to_acknowledge: null });

    const critical = await stats(`from=${FROM}&to=${TO}&severity=critical`);
    expect(critical.devices.map((d) => d.device_id)).toEqual(['dev-9']);
    const both = await stats(`from=${FROM}&to=${TO}&severity=warning,critical`);
    expect(both.totals.alerts).toBe(6);

    const top = await stats(`from=${FROM}&to=${TO}&top=2`);
    expect(top.devices.map((d) => d.device_id)).toEqual(['dev-1', 'dev-9']);
    expect(top.totals.devices).toBe(4);
  });

  it('covers the 7 days before now by default, `to` exclusive', async () => {
    const s = await stats('');
    expect(s.from).toBe(at(now - 7 * DAY));
    expect(s.to).toBe(at(now));
    // Everything, dev-9's first alert and the one at T0 + 1 day included.
    expect(s.totals.alerts).toBe(8);
    expect((await stats(`from=${FROM}`)).totals.alerts).toBe(7);
    expect((await stats(`to=${TO}`)).totals.alerts).toBe(7);
  });

  it('answers zeros, nulls and empty lists for a period without alerts', async () => {
    expect(await stats('from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z')).toEqual({
      from: '2020-01-01T00:00:00.000Z',
      to: '2020-01-02T00:00:00.000Z',
      flap_minutes: 15,
      totals: {
        alerts: 0,
        acknowledged: 0,
        resolved: 0,
        flaps: 0,
        devices: 0,
        time_to_acknowledge: null,
        time_to_resolve: null,
      },
      by_site_rule: [],
      devices: [],
    });
  });

  it('refuses bad parameters with a 400 naming each of them', async () => {
    const cases: [string, string, RegExp][] = [
      [`from=${TO}&to=${FROM}`, 'from', /before to/],
      [`from=${TO}&to=${TO}`, 'from', /before to/],
      [`from=${at(now + H)}`, 'from', /before to \(default: now\)/],
      [`from=2024-01-01T00:00:00Z&to=${TO}`, 'from', /366 days/],
      ['from=2026-01-05', 'from', /ISO-8601/],
      ['top=0', 'top', /./],
      ['top=101', 'top', /./],
      ['top=abc', 'top', /whole number/],
      ['flap_minutes=-1', 'flap_minutes', /./],
      ['flap_minutes=1441', 'flap_minutes', /./],
      ['severity=bogus', 'severity', /comma-separated/],
      ['site_id=%01', 'site_id', /control characters/],
      ['status=open', 'status', /unknown parameter/],
    ];
    for (const [query, name, message] of cases) {
      const p = await problem(query);
      expect({ query, errors: p.errors?.map((e) => e.name) }).toEqual({ query, errors: [name] });
      expect(p.errors?.[0]?.message).toMatch(message);
    }
  });

  it('is documented in the OpenAPI document with its parameters', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    const op = doc.paths['/api/v1/alerts/stats']?.get;
    expect(op?.parameters?.map((p) => p.name).sort()).toEqual(
      ['flap_minutes', 'from', 'rule_id', 'severity', 'site_id', 'to', 'top', 'zone_id'].sort(),
    );
  });
});

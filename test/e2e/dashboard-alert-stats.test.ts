import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { contract, type Api } from '@telemetry-pulse/api';
import { createScratchDatabase, waitFor, type ScratchDatabase } from '../support/infra';
import { startDashboardApi } from './support/api';
import { collectPageErrors, launchChromium } from './support/browser';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const DAY = 24 * H;

/**
 * The dashboard's "Alert analytics" panel in Chromium: alerts written into PostgreSQL with known times,
 * the page shows for the chosen site and period exactly what GET /api/v1/alerts/stats answers for the
 * period the page asked for (counts, every p50/p90/max to the millisecond, the top devices), switches
 * period on a click, and follows a new alert from the live stream. Screenshot:
 * test-results/dashboard-alert-stats.png.
 */
describe('dashboard alert analytics (Chromium, real API and PostgreSQL)', () => {
  const site = 'site-stats';
  const screenshot = path.join(__dirname, '../../test-results/dashboard-alert-stats.png');
  const now = Date.now();
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let api: Api | undefined;
  let baseUrl = '';
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[];

  async function insertAlert(a: {
    device: string;
    zone: string;
    rule: string;
    site?: string;
    openedMs: number;
    ackAfterS?: number;
    resolveAfterS?: number;
  }): Promise<void> {
    const at = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const ack = a.ackAfterS === undefined ? undefined : a.openedMs + a.ackAfterS * S;
    const resolved = a.resolveAfterS === undefined ? undefined : a.openedMs + a.resolveAfterS * S;
    await pool.query(
      `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message,
                           opened_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by)
       VALUES ($1, $2, $3, $4, 'co2', 'warning', $5, 'e2e', $6, $7, $8, $9, $10)`,
      [
        a.rule,
        a.device,
        a.site ?? site,
        a.zone,
        resolved !== undefined ? 'resolved' : ack !== undefined ? 'acknowledged' : 'open',
        at(a.openedMs),
        at(ack),
        ack === undefined ? null : 'ops',
        at(resolved),
        resolved === undefined ? null : 'engine',
      ],
    );
  }

  beforeAll(async () => {
    db = await createScratchDatabase();
    ({ api, baseUrl } = await startDashboardApi({ DATABASE_URL: db.url })); // migrates
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    // The site selector lists sites with devices.
    await pool.query(
      `INSERT INTO devices (device_id, site_id, zone_id, first_seen_at, last_seen_at)
       SELECT d, $1, z, now() - interval '40 days', now()
         FROM (VALUES ('dev-a', 'zone-1'), ('dev-b', 'zone-1'), ('dev-c', 'zone-2')) v(d, z)`,
      [site],
    );
    // In the last 24 h: dev-a flaps on co2-high (resolved, reopened 2 min later), dev-b alerts once.
    await insertAlert({
      device: 'dev-a',
      zone: 'zone-1',
      rule: 'co2-high',
      openedMs: now - 6 * H,
      ackAfterS: 45,
      resolveAfterS: 900,
    });
    await insertAlert({
      device: 'dev-a',
      zone: 'zone-1',
      rule: 'co2-high',
      openedMs: now - 6 * H + 17 * MIN,
      ackAfterS: 200,
      resolveAfterS: 1500,
    });
    await insertAlert({
      device: 'dev-b',
      zone: 'zone-1',
      rule: 'co2-high',
      openedMs: now - 3 * H,
      ackAfterS: 75,
    });
    // Three days ago (in 7 d, not in 24 h): a temperature rule on dev-c, never acknowledged.
    await insertAlert({
      device: 'dev-c',
      zone: 'zone-2',
      rule: 'temp-high',
      openedMs: now - 3 * DAY,
      resolveAfterS: 7200,
    });
    await insertAlert({
      device: 'dev-c',
      zone: 'zone-2',
      rule: 'temp-high',
      openedMs: now - 3 * DAY + 3 * H,
      resolveAfterS: 40,
    });
    // Another site's alert: never on this site's panel.
    await insertAlert({
      device: 'dev-x',
      zone: 'zone-9',
      rule: 'co2-high',
      site: 'site-other',
      openedMs: now - H,
    });

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    page.setDefaultTimeout(20_000);
    pageErrors = collectPageErrors(page);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await pool?.end();
    await db?.drop();
  });

  /** The API's answer for exactly the period the panel shows (its data-from and data-to). */
  async function apiStats() {
    const panel = page.locator('#alert-stats');
    const from = await panel.getAttribute('data-from');
    const to = await panel.getAttribute('data-to');
    if (!from || !to) throw new Error('the panel shows no period');
    const q = new URLSearchParams({ site_id: site, from, to });
    const res = await fetch(`${baseUrl}/api/v1/alerts/stats?${q}`);
    expect(res.status).toBe(200);
    return contract.alertStatsSchema.parse(await res.json());
  }

  /** What the panel shows: totals, each rule row with its exact seconds, each device row. */
  async function shown() {
    return page.locator('#alert-stats').evaluate((panel) => {
      const text = (el: { textContent: string | null } | null) => el?.textContent?.trim() ?? '';
      const totals = Object.fromEntries(
        [...panel.querySelectorAll('#alert-stats-totals dd')].map((dd) => [
          dd.getAttribute('data-figure') ?? '',
          text(dd),
        ]),
      );
      const rules = [...panel.querySelectorAll('#alert-stats-rules tr')].map((tr) => {
        const row: Record<string, string> = { rule: tr.getAttribute('data-rule') ?? '' };
        for (const td of tr.querySelectorAll('td[data-figure]')) {
          row[td.getAttribute('data-figure') ?? ''] = td.getAttribute('data-seconds') ?? text(td);
        }
        return row;
      });
      const devices = [...panel.querySelectorAll('#alert-stats-devices tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => text(td)),
      );
      return { totals, rules, devices };
    });
  }

  /** The API's answer in the panel's terms: counts as shown, times as exact seconds ('–' for none). */
  function expected(s: contract.AlertStats) {
    const d = (v: contract.DurationStats | null, what: string) =>
      Object.fromEntries(
        (['p50', 'p90', 'max'] as const).map((k) => [`${what}-${k}`, v ? String(v[k]) : '–']),
      );
    return {
      totals: {
        alerts: String(s.totals.alerts),
        acknowledged: String(s.totals.acknowledged),
        resolved: String(s.totals.resolved),
        flaps: String(s.totals.flaps),
      },
      rules: s.by_site_rule.map((g) => ({
        rule: g.rule_id,
        alerts: String(g.alerts),
        acknowledged: String(g.acknowledged),
        resolved: String(g.resolved),
        flaps: String(g.flaps),
        ...d(g.time_to_acknowledge, 'tta'),
        ...d(g.time_to_resolve, 'ttr'),
      })),
      devices: s.devices.map((x) => [x.device_id, x.zone_id, String(x.alerts), String(x.flaps)]),
    };
  }

  const ready = () => page.locator('#alert-stats[data-state="ready"]').waitFor();

  it('shows the API’s statistics for the site over the last 7 days, then the last 24 hours', async () => {
    await page.goto(`${baseUrl}/?site=${site}`);
    await ready();
    let api7 = await apiStats();
    let page7 = await shown();
    expect(page7).toMatchObject(expected(api7));
    // The figures are the ones worked out by hand, not only the same as the API's.
    expect(api7.totals).toMatchObject({ alerts: 5, acknowledged: 3, resolved: 4, flaps: 1, devices: 3 });
    expect(page7.rules.map((r) => r.rule)).toEqual(['co2-high', 'temp-high']);
    expect(page7.rules[0]).toMatchObject({ 'tta-p50': '75', 'tta-max': '200', 'ttr-max': '1500' });
    expect(page7.rules[1]).toMatchObject({ 'tta-p50': '–', 'ttr-p50': '3620', 'ttr-max': '7200' });
    expect(page7.devices[0]).toEqual(['dev-a', 'zone-1', '2', '1']);
    expect(page7.totals['tta-p50']).toBe('1 min 15 s');
    expect(new Date(api7.to).getTime() - new Date(api7.from).getTime()).toBe(7 * DAY);

    await page.getByRole('button', { name: '24 h' }).click();
    await waitFor(
      'the 24 h period on the panel',
      async () => {
        const from = await page.locator('#alert-stats[data-state="ready"]').getAttribute('data-from');
        const to = await page.locator('#alert-stats').getAttribute('data-to');
        return from && to && Date.parse(to) - Date.parse(from) === DAY ? true : undefined;
      },
      20_000,
    );
    const api24 = await apiStats();
    expect(await shown()).toMatchObject(expected(api24));
    expect(api24.totals).toMatchObject({ alerts: 3, devices: 2, flaps: 1 });
    expect(api24.by_site_rule.map((g) => g.rule_id)).toEqual(['co2-high']);
    expect(page.url()).toContain('period=24h');

    // A new alert reaches the panel over the live stream, without a reload.
    await insertAlert({ device: 'dev-b', zone: 'zone-1', rule: 'temp-high', openedMs: Date.now() - MIN });
    await waitFor(
      'the new alert counted on the panel',
      async () =>
        (await page.locator('#alert-stats-totals dd[data-figure="alerts"]').textContent()) === '4'
          ? true
          : undefined,
      30_000,
    );
    await ready();
    api7 = await apiStats();
    page7 = await shown();
    expect(page7).toMatchObject(expected(api7));

    mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.locator('#alert-stats').screenshot({ path: screenshot });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

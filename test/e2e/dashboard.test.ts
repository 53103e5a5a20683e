import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import type { Api } from '@telemetry-pulse/api';
import type { Processor } from '@telemetry-pulse/processor';
import { publish, type WireEvent } from '../support/events';
import {
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { appliedRecords } from '../support/pipeline';
import { startTestProcessor } from '../support/processor';
import { apiKeyEntry, startDashboardApi } from './support/api';
import { collectPageErrors, launchChromium } from './support/browser';

/**
 * The dashboard in Chromium against the whole pipeline: readings → Kafka → processor → PostgreSQL → API →
 * page. It loads the site's zones, follows new readings and a new alert over the live stream without a
 * reload, acknowledges an alert through the key form (a wrong key first), and leaves a screenshot in
 * test-results/dashboard.png.
 */
describe('dashboard (Chromium, real pipeline)', () => {
  const kafka = testKafka();
  const topic = uniqueName('e2e.events');
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('e2e-processor');
  const site = 'site-e2e';
  const apiKey = randomBytes(18).toString('base64url');
  const screenshot = path.join(__dirname, '../../test-results/dashboard.png');

  let db: ScratchDatabase;
  let pool: pg.Pool;
  let producer: Producer;
  let processor: Processor | undefined;
  let api: Api | undefined;
  let baseUrl: string;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[];
  let produced = 0;

  const reading = (
    device: string,
    zone: string,
    sensor: WireEvent['sensor_type'],
    value: number,
    tsMs: number,
  ) =>
    ({
      event_id: randomUUID(),
      device_id: device,
      site_id: site,
      zone_id: zone,
      sensor_type: sensor,
      value,
      ts_event: new Date(tsMs).toISOString(),
    }) satisfies WireEvent;

  /** Publishes `events` and waits until the processor has applied every record so far. */
  async function produceAndApply(events: WireEvent[]): Promise<void> {
    await publish(producer, topic, events);
    produced += events.length;
    await waitFor(
      `${produced} records applied`,
      async () => ((await appliedRecords(pool, group, topic)) >= produced ? true : undefined),
      60_000,
    );
  }

  /** A device whose CO2 stays at `ppm` for `spanMs` up to `endMs`: long enough to open `co2-high`. */
  const co2Episode = (device: string, zone: string, ppm: number, endMs: number, spanMs = 150_000) =>
    Array.from({ length: spanMs / 15_000 + 1 }, (_, i) =>
      reading(device, zone, 'co2', ppm, endMs - spanMs + i * 15_000),
    );

  async function alertOf(device: string): Promise<{ alert_id: string; status: string } | undefined> {
    const { rows } = await pool.query<{ alert_id: string; status: string }>(
      `SELECT alert_id::text, status FROM alerts WHERE device_id = $1 AND rule_id = 'co2-high'`,
      [device],
    );
    return rows[0];
  }

  const coText = (zone: string) => page.locator(`[data-zone="${zone}"] [data-sensor="co2"] .value`);

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    producer = kafka.producer();
    await producer.connect();
    ({ processor } = await startTestProcessor({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: dlqTopic,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '2',
    }));

    // Three zones, one device each, all four sensors every 30 s for the last 20 minutes; one of them in
    // every comfort band somewhere. A fourth device in zone-c holds CO2 at 1250 ppm: a co2-high warning.
    const now = Date.now();
    const profile = {
      'zone-a': { co2: 600, temperature: 22, humidity: 45, occupancy: 4 },
      'zone-b': { co2: 900, temperature: 19, humidity: 35, occupancy: 9 },
      'zone-c': { co2: 700, temperature: 27, humidity: 75, occupancy: 2 },
    } as const;
    const events: WireEvent[] = [];
    for (let t = now - 20 * 60_000; t <= now - 30_000; t += 30_000) {
      for (const [zone, values] of Object.entries(profile)) {
        for (const [sensor, value] of Object.entries(values))
          events.push(reading(`dev-${zone}`, zone, sensor as WireEvent['sensor_type'], value, t));
      }
    }
    events.push(...co2Episode('dev-stale-air', 'zone-c', 1250, now - 30_000, 6 * 60_000));
    await produceAndApply(events);
    await waitFor('the co2-high alert in zone-c', async () => alertOf('dev-stale-air'), 30_000);

    ({ api, baseUrl } = await startDashboardApi({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
      API_KEYS: apiKeyEntry('e2e', apiKey),
    }));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    pageErrors = collectPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await processor?.stop();
    await producer?.disconnect();
    await pool?.end();
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.deleteTopics({ topics: [topic, dlqTopic] });
    } catch {
      // the broker went away: the topics have unique names, so leaving them behind harms nobody
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await db?.drop();
  });

  it('shows every zone of the site with its values coloured by comfort band', async () => {
    await page.goto(`${baseUrl}/`);
    await page.locator('#live[data-state="live"]').waitFor();
    await expect(page.locator('#site').inputValue()).resolves.toBe(site);
    await page.locator('.zone-card').nth(2).waitFor();
    expect(await page.locator('.zone-card h3').allTextContents()).toEqual(['zone-a', 'zone-b', 'zone-c']);

    expect(await coText('zone-a').textContent()).toBe('600');
    const band = (zone: string, sensor: string) =>
      page.locator(`[data-zone="${zone}"] [data-sensor="${sensor}"]`).getAttribute('class');
    await expect(band('zone-a', 'co2')).resolves.toContain('band-good');
    await expect(band('zone-b', 'temperature')).resolves.toContain('band-fair');
    await expect(band('zone-c', 'humidity')).resolves.toContain('band-poor');
    await expect(band('zone-a', 'occupancy')).resolves.toContain('band-neutral');
    await expect(
      page.locator('[data-zone="zone-b"] [data-sensor="occupancy"] .value').textContent(),
    ).resolves.toBe('9');

    // The trend of the first zone's CO2, then the other bucket widths.
    await page.locator('#trend-chart svg polyline.avg').waitFor({ state: 'attached' }); // flat: zero height
    await expect(page.locator('#trend-caption').textContent()).resolves.toMatch(/CO₂ in zone-a/);
    for (const bucket of ['15m', '1h']) {
      const answered = page.waitForResponse((r) => r.url().includes(`bucket=${bucket}`));
      await page.click(`[data-bucket="${bucket}"]`);
      expect((await answered).status()).toBe(200);
      await expect(page.locator(`[data-bucket="${bucket}"]`).getAttribute('aria-pressed')).resolves.toBe(
        'true',
      );
      await page.locator('#trend-chart svg circle.point').first().waitFor();
    }
  });

  it('updates zone values and shows new alerts live, without a reload', async () => {
    await page.evaluate(() => Object.assign(globalThis, { e2eMarker: 'same page' }));
    const before = await page.locator('[data-zone="zone-a"] .updated time').getAttribute('datetime');

    // A crowded meeting in zone-a: its current 5-minute CO2 average jumps well above 1000 ppm.
    const now = Date.now();
    await produceAndApply(
      Array.from({ length: 40 }, (_, i) => reading('dev-zone-a-2', 'zone-a', 'co2', 1900, now - i * 500)),
    );
    await waitFor(
      'zone-a CO2 above 1000 ppm on the page',
      async () => (Number(await coText('zone-a').textContent()) > 1000 ? true : undefined),
      30_000,
    );
    await expect(
      page.locator('[data-zone="zone-a"] [data-sensor="co2"]').getAttribute('class'),
    ).resolves.toMatch(/band-(poor|bad)/);
    const after = await page.locator('[data-zone="zone-a"] .updated time').getAttribute('datetime');
    expect(Date.parse(after ?? '')).toBeGreaterThan(Date.parse(before ?? ''));

    // Stale air in zone-b opens a second alert, which arrives over the stream.
    await produceAndApply(co2Episode('dev-zone-b-2', 'zone-b', 1300, Date.now()));
    const second = await waitFor('the co2-high alert in zone-b', async () => alertOf('dev-zone-b-2'), 30_000);
    await page
      .locator(`[data-alert-id="${second.alert_id}"][data-status="open"]`)
      .waitFor({ timeout: 30_000 });

    await expect(page.evaluate(() => (globalThis as { e2eMarker?: string }).e2eMarker)).resolves.toBe(
      'same page',
    );
  });

  it('acknowledges an alert through the key form, after showing a refused key', async () => {
    const alert = await alertOf('dev-stale-air');
    expect(alert?.status).toBe('open');
    const item = page.locator(`[data-alert-id="${alert?.alert_id}"]`);
    await item.getByRole('button', { name: /Acknowledge co2-high alert in zone-c/ }).click();

    const keyInput = page.getByLabel('API key');
    await keyInput.fill('not-the-key');
    await page.click('#key-form button[type="submit"]');
    // The refusal arrives after a round trip: wait for it rather than read the element at once.
    await page
      .locator('#alert-error', { hasText: /API key (was refused|was missing)/ })
      .waitFor({ timeout: 15_000 });
    await expect(item.getAttribute('data-status')).resolves.toBe('open');

    await keyInput.fill(apiKey);
    await page.click('#key-form button[type="submit"]');
    await item.and(page.locator('[data-status="acknowledged"]')).waitFor();
    await expect(page.locator('#alert-error').isHidden()).resolves.toBe(true);
    await expect(item.locator('.status-acknowledged').textContent()).resolves.toMatch(/Acknowledged/);
    await expect(alertOf('dev-stale-air')).resolves.toEqual(
      expect.objectContaining({ status: 'acknowledged' }),
    );
    await expect(page.evaluate('sessionStorage.length')).resolves.toBe(1); // the key, for this tab only

    // Back to 5-minute buckets, where zone-a's jump shows, for the screenshot.
    await page.click('[data-bucket="5m"]');
    await page.locator('#trend-chart svg circle.point').nth(1).waitFor();
    mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  });

  it('adds sites that appear live to the selector, and keeps polling the pipeline once every 5 s', async () => {
    // Three new sites, each seen over the stream on its own: each one refreshes the site list.
    for (const newSite of ['site-e2e-2', 'site-e2e-3', 'site-e2e-4']) {
      await produceAndApply([
        { ...reading(`dev-${newSite}`, 'zone-n', 'co2', 650, Date.now()), site_id: newSite },
      ]);
      await page.locator(`#site option[value="${newSite}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    }
    await expect(page.locator('#site').inputValue()).resolves.toBe(site); // the chosen site stays
    // The pipeline panel polls every 5 s: two or three requests in 12 s, however many sites came along.
    let polls = 0;
    const count = (r: { url(): string }) => {
      if (r.url().includes('/api/v1/pipeline/status')) polls += 1;
    };
    page.on('request', count);
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    page.off('request', count);
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(polls).toBeLessThanOrEqual(3);
  });

  it('ran under the content security policy, within its byte budget and without errors', async () => {
    // Everything but the API calls, as the browser decoded it (resource timing runs in the page).
    const bytes = Number(
      await page.evaluate(`performance
        .getEntriesByType('resource')
        .concat(performance.getEntriesByType('navigation'))
        .filter((e) => !e.name.includes('/api/'))
        .reduce((sum, e) => sum + e.decodedBodySize, 0)`),
    );
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(100_000); // html + css + js + icon, uncompressed
    // The refused key is the one expected error (the browser logs the 403 response).
    expect(pageErrors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  });

  it('serves the assets with types and ETags, and refuses paths outside public/assets', async () => {
    const index = await fetch(`${baseUrl}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const etag = index.headers.get('etag');
    expect(etag).toBeTruthy();
    // Not fetch(): with If-None-Match it also sends Cache-Control: no-cache, which rightly forces a 200.
    await expect(rawGet(baseUrl, '/', { 'if-none-match': etag ?? '' })).resolves.toEqual({
      status: 304,
      body: '',
    });

    for (const [asset, type] of [
      ['/assets/js/main.js', 'text/javascript; charset=utf-8'],
      ['/assets/dashboard.css', 'text/css; charset=utf-8'],
      ['/assets/favicon.svg', 'image/svg+xml'],
    ]) {
      const res = await fetch(`${baseUrl}${asset}`);
      expect([asset, res.status, res.headers.get('content-type')]).toEqual([asset, 200, type]);
    }
    for (const sneaky of [
      '/assets/../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/js/..%2f..%2f..%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/.hidden.js',
    ]) {
      const res = await rawGet(baseUrl, sneaky);
      expect([sneaky, res.status]).toEqual([sneaky, 404]);
      expect(res.body).not.toContain('@telemetry-pulse');
    }
  });
});

/** A GET that sends `pathname` and `headers` exactly as written (fetch normalises `..` and adds headers). */
function rawGet(
  baseUrl: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: pathname, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${pathname} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { contract, type Api } from '@telemetry-pulse/api';
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
 * The dashboard tells the truth (issue 14, items 7 and 9), in Chromium against the whole pipeline: with
 * API_READ_AUTH=true the page asks for a key, reads with it and follows the live stream with a token; when
 * the processor stops while readings keep arriving, the pipeline panel turns red and the badge stops saying
 * "Live", and both recover when the processor comes back. Screenshot: test-results/dashboard-stalled.png.
 */
describe('dashboard truthfulness (Chromium, real pipeline, API_READ_AUTH=true)', () => {
  const kafka = testKafka();
  const topic = uniqueName('e2e.truth');
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('e2e-truth');
  const site = 'site-truth';
  const apiKey = randomBytes(18).toString('base64url');
  const STALL_AFTER_S = 8;
  const screenshot = path.join(__dirname, '../../test-results/dashboard-stalled.png');

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

  const reading = (zone: string, value: number, tsMs: number): WireEvent => ({
    event_id: randomUUID(),
    device_id: `dev-${zone}`,
    site_id: site,
    zone_id: zone,
    sensor_type: 'co2',
    value,
    ts_event: new Date(tsMs).toISOString(),
  });
  /** Readings of both zones every 2 s up to now, so both partitions get some. */
  const burst = (value: number, count = 10): WireEvent[] =>
    Array.from({ length: count }, (_, i) =>
      ['zone-a', 'zone-b'].map((z) => reading(z, value, Date.now() - i * 2_000)),
    ).flat();

  async function applied(): Promise<void> {
    await waitFor(
      `${produced} records applied`,
      async () => ((await appliedRecords(pool, group, topic)) >= produced ? true : undefined),
      60_000,
    );
  }
  const startProcessor = async (): Promise<void> => {
    ({ processor } = await startTestProcessor({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_DLQ_TOPIC: dlqTopic,
      PROCESSOR_GROUP_ID: group,
      PROCESSOR_TOPIC_PARTITIONS: '2',
    }));
  };
  const produce = async (events: WireEvent[]): Promise<void> => {
    await publish(producer, topic, events);
    produced += events.length;
  };
  const coText = (zone: string) => page.locator(`[data-zone="${zone}"] [data-sensor="co2"] .value`);
  const badge = () => page.locator('#live .live-text');

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    producer = kafka.producer();
    await producer.connect();
    await startProcessor();
    await produce(burst(600));
    await applied();
    ({ api, baseUrl } = await startDashboardApi({
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: topic,
      PROCESSOR_GROUP_ID: group,
      API_KEYS: apiKeyEntry('wall', apiKey),
      API_READ_AUTH: 'true',
      API_PIPELINE_STALL_AFTER: `${STALL_AFTER_S}s`,
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
      // the topics have unique names: leaving them behind harms nobody
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await db?.drop();
  });

  it('asks for a key, then reads with it and follows the live stream through a token', async () => {
    const tokenStream = page.waitForResponse((r) => r.url().includes('/api/v1/stream?token='), {
      timeout: 30_000,
    });
    await page.goto(`${baseUrl}/`);
    await page.locator('#key-form').waitFor({ state: 'visible' });
    await expect(page.locator('#key-reason').textContent()).resolves.toMatch(/needs an API key to read/);
    await page.getByLabel('API key').fill(apiKey);
    await page.click('#key-form button[type="submit"]');

    await page.locator('.zone-card').nth(1).waitFor();
    expect(await coText('zone-a').textContent()).toBe('600');
    expect((await tokenStream).status()).toBe(200);

    // New readings reach the page over the stream, without a reload, and the badge says data flows.
    await page.evaluate(() => Object.assign(globalThis, { e2eMarker: 'same page' }));
    await produce(burst(1400, 40));
    await applied();
    await waitFor(
      'zone-a CO2 above 1000 ppm on the page',
      async () => (Number(await coText('zone-a').textContent()) > 1000 ? true : undefined),
      30_000,
    );
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
    await expect(badge().textContent()).resolves.toMatch(/^Live$/);
    await expect(page.locator('#pipeline').getAttribute('data-state')).resolves.toBe('flowing');
    await expect(page.evaluate(() => (globalThis as { e2eMarker?: string }).e2eMarker)).resolves.toBe(
      'same page',
    );
  }, 90_000);

  it('turns the pipeline panel red and the badge off "Live" when nothing is stored while lag grows', async () => {
    await processor?.stop();
    processor = undefined;
    // Readings keep arriving for a processor that is gone: the lag grows, nothing is stored.
    const arriving = setInterval(() => void produce(burst(700, 2)).catch(() => undefined), 1_000);
    try {
      await page.locator('#pipeline[data-state="stalled"]').waitFor({ timeout: (STALL_AFTER_S + 30) * 1000 });
      await page.locator('#live[data-state="stalled"]').waitFor();
      await expect(badge().textContent()).resolves.toBe('Stalled');
      await expect(page.locator('#pipeline-summary').textContent()).resolves.toMatch(
        /^Stalled: .* records wait/,
      );
      await expect(page.locator('#pipeline-stalled').textContent()).resolves.not.toBe('none');
      await waitFor(
        'the lag shown growing',
        async () => ((await page.locator('#pipeline-lag').textContent())?.includes('▲') ? true : undefined),
        20_000,
      );
      // Visibly red: the panel takes the "bad" background.
      const background = await page
        .locator('#pipeline')
        .evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor);
      expect(background).toBe('rgb(251, 211, 211)');

      // The figures come from the real sources: the same status, read with the key, agrees.
      const res = await fetch(`${baseUrl}/api/v1/pipeline/status`, { headers: { 'x-api-key': apiKey } });
      const status = contract.pipelineStatusSchema.parse(await res.json());
      expect(status.state).toBe('stalled');
      expect(status.total_lag).toBeGreaterThan(0);
      mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    } finally {
      clearInterval(arriving);
    }

    // The processor comes back and catches up: the panel and the badge say so.
    await startProcessor();
    await applied();
    await page.locator('#pipeline[data-state="flowing"]').waitFor({ timeout: 30_000 });
    await page.locator('#live[data-state="live"]').waitFor();
    expect(pageErrors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { hashApiKey, type Api } from '@telemetry-pulse/api';
import type { Processor } from '@telemetry-pulse/processor';
import { startTestApi } from '../support/api';
import { createScratchDatabase, waitFor, type ScratchDatabase } from '../support/infra';
import { cleanStaleRuns, RELIABILITY_DIR } from '../support/private-infra';
import { startPrivateKafka, type PrivateKafka } from '../support/reliability/kafka';
import { alive } from '../support/reliability/process';
import { startTestProcessor } from '../support/processor';

const KEY = 'ingest-key-0123456789abcdef';
const TOPIC = 'telemetry.events';

/**
 * HTTP ingest while the broker is down (kill -9 of a private broker, never the shared one): every request
 * is answered 503 (the batch route) or 500 "Kafka unavailable" (the original's route), each with
 * Retry-After, never 200; a client that retries its refused batches with the same event ids once the
 * broker is back ends with every reading it was told was accepted stored exactly once.
 */
describe('HTTP ingest with the broker stopped (private Kafka)', () => {
  let runDir = '';
  let kafka: PrivateKafka | undefined;
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let processor: Processor | undefined;
  let api: Api | undefined;
  let url = '';

  beforeAll(async () => {
    await cleanStaleRuns();
    runDir = path.join(RELIABILITY_DIR, `run-${process.pid}-${Date.now().toString(36)}`);
    mkdirSync(runDir, { recursive: true });
    kafka = await startPrivateKafka(runDir);
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    ({ processor } = await startTestProcessor({
      KAFKA_BROKERS: kafka.directBrokers,
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: TOPIC,
      PROCESSOR_TOPIC_PARTITIONS: '3',
    }));
    ({ api, url } = await startTestApi({
      KAFKA_BROKERS: kafka.directBrokers,
      DATABASE_URL: db.url,
      PROCESSOR_TOPIC: TOPIC,
      API_INGEST_KEYS: `gw:${hashApiKey(KEY)}`,
      API_INGEST_TIMEOUT: '2s',
    }));
  }, 240_000);

  afterAll(async () => {
    await api?.stop();
    await processor?.stop();
    await pool?.end();
    await db?.drop();
    await kafka?.stop();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }, 60_000);

  const batch = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      event_id: randomUUID(),
      device_id: `dev-${i % 17}`,
      site_id: 'site-0',
      zone_id: 'site-0-zone-0',
      sensor_type: 'temperature',
      value: 20 + (i % 10) / 10,
    }));
  const post = (p: string, body: unknown) =>
    fetch(`${url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify(body),
    });

  it('answers 503/500 with Retry-After while it is down and loses nothing it acknowledged', async () => {
    const acknowledged = new Set<string>();
    const first = batch(500);
    const ok = await post('/api/v1/readings', first);
    expect(ok.status).toBe(200);
    ((await ok.json()) as { accepted: string[] }).accepted.forEach((id) => acknowledged.add(id));

    const broker = kafka as PrivateKafka;
    const pid = broker.pid();
    const restarted = broker.killAndRestart(15_000);
    await waitFor('broker down', async () => (alive(pid) ? undefined : true), 20_000, 50);

    const refused: ReturnType<typeof batch>[] = [];
    for (let i = 0; i < 3; i += 1) {
      const items = batch(200);
      const res = await post('/api/v1/readings', items);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      refused.push(items);
    }
    const single = batch(1)[0];
    const legacy = await post('/ingest', single);
    expect(legacy.status).toBe(500);
    expect(await legacy.text()).toBe('{"detail":"Kafka unavailable"}');
    expect(legacy.headers.get('retry-after')).not.toBeNull();
    refused.push([single as ReturnType<typeof batch>[number]]);

    await restarted;
    // The client's retry loop: the same items, the same ids, until they are acknowledged.
    for (const items of refused) {
      const ids = await waitFor(
        'a retried batch acknowledged',
        async () => {
          const res = await post('/api/v1/readings', items);
          if (res.status !== 200) return undefined;
          return ((await res.json()) as { accepted: string[] }).accepted;
        },
        90_000,
        1_000,
      );
      expect(ids).toEqual(items.map((i) => i.event_id));
      ids.forEach((id) => acknowledged.add(id));
    }

    const stored = await waitFor(
      'every acknowledged reading stored',
      async () => {
        const { rows } = await pool.query<{ event_id: string }>('SELECT event_id::text FROM raw_events');
        const have = new Set(rows.map((r) => r.event_id));
        return [...acknowledged].every((id) => have.has(id)) ? rows : undefined;
      },
      120_000,
      1_000,
    );
    // Nothing stored twice, and nothing stored that no request ever carried.
    expect(new Set(stored.map((r) => r.event_id)).size).toBe(stored.length);
    expect(stored.length).toBe(acknowledged.size);
  }, 400_000);
});

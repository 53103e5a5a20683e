import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import type { Processor } from '@telemetry-pulse/processor';
import {
  createScratchDatabase,
  testKafka,
  uniqueName,
  waitFor,
  type ScratchDatabase,
} from '../support/infra';
import { aggregateMismatches, effectsFingerprint, tableCounts } from '../support/invariants';
import { startTestProcessor } from '../support/processor';

/**
 * The processor against the real broker and database: exactly-once effects under duplicates, late and
 * malformed input, dead letters with their headers, the alert lifecycle, and replays that change nothing.
 */
describe('processor (real Kafka and PostgreSQL)', () => {
  const kafka: Kafka = testKafka();
  const topic = uniqueName('it.events');
  const dlqTopic = `${topic}.dlq`;
  const group = uniqueName('it-processor');
  let db: ScratchDatabase;
  let pool: pg.Pool;
  let producer: Producer;
  let processor: Processor | undefined;
  const env = () => ({
    DATABASE_URL: db.url,
    PROCESSOR_TOPIC: topic,
    PROCESSOR_DLQ_TOPIC: dlqTopic,
    PROCESSOR_GROUP_ID: group,
    PROCESSOR_TOPIC_PARTITIONS: '3',
  });

  const base = Math.floor((Date.now() - 3 * 3600_000) / 900_000) * 900_000; // 3 h ago, on a window edge
  const valid: object[] = [];
  const messages: { key: string; value: string }[] = [];
  let malformed = 0;
  const send = (event: Record<string, unknown>) =>
    messages.push({ key: String(event['device_id']), value: JSON.stringify(event) });
  const reading = (device: string, zone: string, sensor: string, value: number, tsMs: number) => {
    const e = {
      event_id: randomUUID(),
      device_id: device,
      site_id: 'site-1',
      zone_id: zone,
      sensor_type: sensor,
      value,
      ts_event: new Date(tsMs).toISOString().replace('Z', ''), // the Python original's offset-less form
    };
    valid.push(e);
    send(e);
    return e;
  };

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    producer = kafka.producer();
    await producer.connect();

    // 12 devices in 3 zones, all four sensors every 30 s for 40 minutes.
    for (let t = 0; t < 40 * 60_000; t += 30_000) {
      for (let d = 0; d < 12; d += 1) {
        const zone = `zone-${d % 3}`;
        reading(`dev-${d}`, zone, 'co2', 450 + ((d * 37 + t / 1000) % 400), base + t);
        reading(`dev-${d}`, zone, 'temperature', 21 + (d % 4) * 0.5, base + t);
        reading(`dev-${d}`, zone, 'humidity', 45, base + t);
        reading(`dev-${d}`, zone, 'occupancy', d % 5, base + t);
      }
    }
    // Scripted CO2: fires (warning), escalates (critical), resolves.
    const script = [...Array(10).fill(800), ...Array(6).fill(1100), ...Array(6).fill(1600), 850, 850];
    script.forEach((v: number, i) => reading('dev-script', 'zone-9', 'co2', v, base + i * 30_000));
    // Oscillating around the trigger but above the clear threshold: one alert, no flapping.
    for (let i = 0; i < 20; i += 1)
      reading('dev-flap', 'zone-9', 'co2', i % 2 ? 1050 : 950, base + i * 30_000);
    // Duplicates: 200 readings resent with the same event id.
    for (const e of valid.slice(0, 200)) send(e as Record<string, unknown>);
    // Late (10 min behind, revises windows) and too late (2 days old: stored, flagged, not aggregated).
    reading('dev-0', 'zone-0', 'co2', 500, base + 30 * 60_000);
    reading('dev-0', 'zone-0', 'co2', 501, base - 2 * 86_400_000);
    // Poison: bad JSON, wrong type, out of range, empty.
    for (const bad of [
      '{"event_id":',
      JSON.stringify({ ...(valid[0] as object), value: 'high' }),
      JSON.stringify({ ...(valid[1] as object), event_id: randomUUID(), value: 99_999 }),
      '',
    ]) {
      messages.push({ key: 'dev-0', value: bad });
      malformed += 1;
    }
  });

  afterAll(async () => {
    await processor?.stop();
    await producer.disconnect();
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  });

  async function processedOffsets(): Promise<number> {
    const { rows } = await pool.query<{ n: string | null }>(
      'SELECT sum(next_offset)::text AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    );
    return Number(rows[0]?.n ?? 0);
  }

  it('stores each valid reading once, aggregates exactly, dead-letters poison and runs the alert lifecycle', async () => {
    let opsPort: number;
    ({ processor, opsPort } = await startTestProcessor(env()));
    // Half now, half while running: the consumer sees several batches.
    const half = Math.floor(messages.length / 2);
    await producer.send({ topic, messages: messages.slice(0, half) });
    await producer.send({ topic, messages: messages.slice(half) });
    await waitFor(
      'every record processed',
      async () => ((await processedOffsets()) === messages.length ? true : undefined),
      90_000,
    );

    const counts = await tableCounts(pool);
    expect(counts.raw).toBe(valid.length);
    expect(counts.distinctRaw).toBe(valid.length);
    expect(counts.deadLetters).toBe(malformed);
    expect(await aggregateMismatches(pool)).toEqual([]);

    // The scripted devices' readings and the explicit late one arrive well behind their partitions'
    // newest readings: late, yet aggregated (the invariant above covers them). The 2-day-old one is too late.
    const lateness = await pool.query<{ lateness: string; n: number }>(
      'SELECT lateness, count(*)::int AS n FROM raw_events GROUP BY 1',
    );
    const byLateness = Object.fromEntries(lateness.rows.map((r) => [r.lateness, r.n]));
    expect(byLateness['late']).toBeGreaterThanOrEqual(1);
    expect(byLateness['too_late']).toBe(1);

    // The operations endpoints agree with the database.
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      checks: { database: { ok: true }, broker: { ok: true } },
    });
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const metric = (name: string): number =>
      [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    expect(metric('telemetry_processor_events_stored_total')).toBe(valid.length);
    expect(metric('telemetry_processor_events_dead_lettered_total')).toBe(malformed);
    expect(metric('telemetry_processor_events_consumed_total')).toBe(messages.length);

    // Both scripted devices stop reporting 10-12 minutes in while the others go on for 40: silent.
    const silent = await pool.query(
      `SELECT device_id FROM alerts WHERE rule_id = 'device-silent' ORDER BY device_id`,
    );
    expect(silent.rows.map((r) => r.device_id)).toEqual(['dev-flap', 'dev-script']);
    const ordinary = await pool.query(
      `SELECT count(*)::int AS n FROM alerts WHERE device_id ~ '^dev-[0-9]+$'`,
    );
    expect(ordinary.rows[0].n).toBe(0);
  });

  it('publishes each dead letter once, with the original bytes and the error headers', async () => {
    const consumer = kafka.consumer({ groupId: uniqueName('it-dlq-reader') });
    const seen: { value: string; headers: Record<string, string> }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        seen.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await waitFor('dead letters', async () => (seen.length >= malformed ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // any duplicate would arrive by now
    await consumer.disconnect();
    expect(seen).toHaveLength(malformed);
    for (const letter of seen) {
      expect(Object.keys(letter.headers).sort()).toEqual(
        expect.arrayContaining([
          'x-error-code',
          'x-error-message',
          'x-original-topic',
          'x-original-partition',
          'x-original-offset',
          'x-original-timestamp',
          'x-consumer-group',
          'x-attempt-count',
        ]),
      );
      expect(letter.headers['x-original-topic']).toBe(topic);
      expect(letter.headers['x-consumer-group']).toBe(group);
    }
    expect(seen.map((s) => s.headers['x-error-code']).sort()).toEqual([
      'EMPTY_MESSAGE',
      'INVALID_JSON',
      'SCHEMA_VIOLATION',
      'SCHEMA_VIOLATION',
    ]);
    expect(seen.map((s) => s.value)).toContain('{"event_id":');
  });

  it('changes nothing when the group is reset to the earliest offset and everything is reprocessed', async () => {
    const before = await effectsFingerprint(pool);
    await processor?.stop();
    processor = undefined;
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    await admin.disconnect();
    // Forget the stored progress too, so the replay exercises ON CONFLICT rather than the offset skip.
    await pool.query('DELETE FROM consumer_offsets WHERE consumer_group = $1', [group]);

    ({ processor } = await startTestProcessor(env()));
    await waitFor(
      'replay processed',
      async () => ((await processedOffsets()) === messages.length ? true : undefined),
      90_000,
    );
    expect(await effectsFingerprint(pool)).toBe(before);
    expect(await aggregateMismatches(pool)).toEqual([]);
  });
});

import { CompressionTypes, type Kafka } from 'kafkajs';
import { readings, publish, type WireEvent } from '../support/events';
import { waitFor } from '../support/infra';
import { aggregateMismatches } from '../support/invariants';
import { scrape, sumOf } from '../support/metrics';
import { appliedRecords } from '../support/pipeline';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

/**
 * Issue 14, items 1 and 3: any record the broker accepts is applied or dead-lettered, never a stall, and
 * one partition's trouble never stops the others. On the real broker and database.
 */

/** Waits until the group's committed Kafka offsets reach every partition's end. */
async function committedToEnd(kafka: Kafka, group: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      'the group committed every partition to its end',
      async () => {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const at = new Map(committed?.partitions.map((p) => [p.partition, p.offset]));
        return ends.every((e) => at.get(e.partition) === e.high) ? true : undefined;
      },
      120_000,
    );
  } finally {
    await admin.disconnect();
  }
}

async function topicEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

/** Reads every record of a one-partition topic from the start. */
async function readAll(kafka: Kafka, topic: string, count: number) {
  const consumer = kafka.consumer({ groupId: `${topic}.reader.${Date.now()}` });
  const seen: { key: Buffer | null; headers: Record<string, Buffer | undefined> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({
        key: message.key,
        headers: message.headers as Record<string, Buffer | undefined>,
      });
    },
  });
  try {
    await waitFor(`${count} records of ${topic}`, async () => (seen.length >= count ? true : undefined));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('a compressed batch that decompresses past the DLQ topic limit (real Kafka and PostgreSQL)', () => {
  const DLQ_MAX_BYTES = 256 * 1024;
  let fx: ProcessorFixture;
  let opsPort = 0;

  beforeAll(async () => {
    fx = await openProcessorFixture({
      prefix: 'dlqlimit',
      partitions: 3,
      dlqTopicConfig: { 'max.message.bytes': String(DLQ_MAX_BYTES) },
    });
    ({ opsPort } = await fx.startProcessor());
  });

  afterAll(() => fx?.close());

  it('publishes the dead letters that fit, records the one that cannot, and moves on', async () => {
    const { kafka, pool, producer, topic, dlqTopic, group } = fx;
    const good = readings(600, 24, Date.now() - 2 * 3600_000);
    // 300 invalid records of ~2 KB (600 KB of dead letters), one 400 KB record that no send to the DLQ
    // topic can carry, and one binary record with a binary key and header values: all in ONE gzip batch
    // of a few KB, which the events topic takes.
    const junk = Array.from({ length: 300 }, (_, i) => `{"junk":${i},"pad":"${'x'.repeat(2_000)}"`);
    const huge = Buffer.alloc(400 * 1024, 'y');
    const binaryKey = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const binaryHeader = Buffer.from([0x00, 0xc3, 0x28, 0x00, 0xff]);
    await publish(producer, topic, good.slice(0, 300), 100);
    const [meta] = await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: [
        ...good.slice(300, 310).map((e) => ({ partition: 1, key: e.device_id, value: JSON.stringify(e) })),
        ...junk.map((value) => ({ partition: 1, key: 'junk', value })),
        { partition: 1, key: 'huge', value: huge },
        {
          partition: 1,
          key: binaryKey,
          value: Buffer.from([0, 0, 0, 0, 1, 0x02, 0x04]),
          headers: { 'x-binary': binaryHeader, 'x-text': 'kept' },
        },
        ...good.slice(310, 320).map((e) => ({ partition: 1, key: e.device_id, value: JSON.stringify(e) })),
      ],
    });
    await publish(producer, topic, good.slice(320), 100);
    const base = Number(meta?.baseOffset);
    const hugeOffset = String(base + 10 + junk.length);
    const binaryOffset = String(base + 11 + junk.length);
    const total = good.length + junk.length + 2;

    await committedToEnd(kafka, group, topic);
    expect(await appliedRecords(pool, group, topic)).toBe(total);
    const stored = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM raw_events WHERE event_id = ANY($1::uuid[])',
      [good.map((e: WireEvent) => e.event_id)],
    );
    expect(stored.rows[0]?.n).toBe(good.length);

    // Every dead letter recorded; all published but the one too large for the topic, which says why.
    const letters = await pool.query<{
      offset: string;
      error_code: string;
      published: boolean;
      publish_error: string | null;
    }>(
      `SELECT "offset"::text, error_code, published_at IS NOT NULL AS published, publish_error
         FROM dead_letters WHERE topic = $1 ORDER BY "offset"`,
      [topic],
    );
    expect(letters.rows).toHaveLength(junk.length + 2);
    const refused = letters.rows.filter((r) => !r.published);
    expect(refused).toEqual([
      {
        offset: hugeOffset,
        error_code: 'MESSAGE_TOO_LARGE',
        published: false,
        publish_error: expect.stringMatching(/larger than the max message size/),
      },
    ]);
    expect(await topicEnd(kafka, dlqTopic)).toBe(junk.length + 1);

    // The binary record's dead letter carries its key and header values byte for byte.
    const onDlq = await readAll(kafka, dlqTopic, junk.length + 1);
    const binary = onDlq.find((m) => m.headers['x-original-offset']?.toString() === binaryOffset);
    expect(binary?.key).toEqual(binaryKey);
    expect(binary?.headers['x-binary']).toEqual(binaryHeader);
    expect(binary?.headers['x-text']?.toString()).toBe('kept');

    const samples = await scrape(`http://127.0.0.1:${opsPort}/metrics`);
    expect(
      sumOf(samples, 'telemetry_processor_dead_letters_refused_total', { code: 'MESSAGE_TOO_LARGE' }),
    ).toBe(1);
    expect(sumOf(samples, 'telemetry_processor_events_dead_lettered_total')).toBe(junk.length + 1);
    expect((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status).toBe(200);
  });
});

describe('a record the database fails on, on one partition of six (real Kafka and PostgreSQL)', () => {
  const PARTITIONS = 6;
  const POISON_PARTITION = 2;
  const ATTEMPTS = 3;
  let fx: ProcessorFixture;
  let opsPort = 0;

  beforeAll(async () => {
    fx = await openProcessorFixture({ prefix: 'bugrecord', partitions: PARTITIONS });
    ({ opsPort } = await fx.startProcessor({
      PROCESSOR_FAILED_BATCH_ATTEMPTS: String(ATTEMPTS),
      PROCESSOR_RETRY_BASE: '1s',
      PROCESSOR_RETRY_MAX: '2s',
    }));
    // Something the processor cannot foresee: the database throws for one device's readings.
    await fx.pool.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated bug: cannot store a reading of %', NEW.device_id; END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON raw_events FOR EACH ROW
        WHEN (NEW.device_id = 'poison-device') EXECUTE FUNCTION refuse_poison();`);
  });

  afterAll(() => fx?.close());

  it('dead-letters it as PROCESSING_FAILED after bounded attempts while the other partitions keep their rate', async () => {
    const { kafka, pool, producer, topic, dlqTopic, group } = fx;
    const PER_TICK = 10; // readings per partition every 100 ms: 100/s per partition
    const TICKS = 120;
    const good = readings(PARTITIONS * PER_TICK * TICKS, 24, Date.now() - 2 * 3600_000);
    const produced = new Array<number>(PARTITIONS).fill(0);
    let poisonOffset = '';
    let sending = true;

    // Readiness and per-partition progress, sampled while the traffic flows.
    const samples: { stuck: boolean; detail: string; lag: number[] }[] = [];
    const sampling = (async () => {
      while (sending) {
        const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
        const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
        const failing = body.checks['failingPartitions'];
        const snapshot = [...produced];
        const { rows } = await pool.query<{ partition: number; next: string }>(
          'SELECT partition, next_offset::text AS next FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
          [group, topic],
        );
        const applied = new Map(rows.map((r) => [r.partition, Number(r.next)]));
        samples.push({
          stuck: res.status === 503 && failing?.ok === false,
          detail: failing?.detail ?? '',
          lag: snapshot.map((n, p) => n - (applied.get(p) ?? 0)),
        });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    for (let tick = 0; tick < TICKS; tick += 1) {
      const started = Date.now();
      const batch = good.slice(tick * PARTITIONS * PER_TICK, (tick + 1) * PARTITIONS * PER_TICK);
      await producer.send({
        topic,
        messages: batch.map((e, i) => ({
          partition: i % PARTITIONS,
          key: e.device_id,
          value: JSON.stringify(e),
        })),
      });
      for (let p = 0; p < PARTITIONS; p += 1) produced[p] = (produced[p] ?? 0) + PER_TICK;
      if (tick === 30) {
        const poison = {
          ...good[0],
          event_id: '0b9e2f4c-5d6a-4e7b-8c9d-0a1b2c3d4e5f',
          device_id: 'poison-device',
        };
        const [meta] = await producer.send({
          topic,
          messages: [{ partition: POISON_PARTITION, key: 'poison-device', value: JSON.stringify(poison) }],
        });
        poisonOffset = String(meta?.baseOffset);
        produced[POISON_PARTITION] = (produced[POISON_PARTITION] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
    await waitFor(
      'every record applied or dead-lettered',
      async () => ((await appliedRecords(pool, group, topic)) >= good.length + 1 ? true : undefined),
      120_000,
    );
    sending = false;
    await sampling;
    await committedToEnd(kafka, group, topic);

    // While the poison partition was stuck, /readyz named it and the others kept flowing: their lag stayed
    // within ~3 s of traffic (300 records) on every sample.
    const stuck = samples.filter((s) => s.stuck);
    expect(stuck.length).toBeGreaterThanOrEqual(2);
    for (const s of stuck)
      expect(s.detail).toMatch(
        new RegExp(`${topic}/${POISON_PARTITION} at offset \\d+: \\d failed attempt\\(s\\).*simulated bug`),
      );
    const othersLag = Math.max(...stuck.flatMap((s) => s.lag.filter((_, p) => p !== POISON_PARTITION)));
    expect(othersLag).toBeLessThanOrEqual(300);

    // The poison record: one dead letter with the database's error, after exactly the bounded attempts.
    const letters = await pool.query<{
      offset: string;
      partition: number;
      error_code: string;
      error_message: string;
      attempts: number;
      published: boolean;
    }>(
      `SELECT "offset"::text, partition, error_code, error_message, attempts, published_at IS NOT NULL AS published
         FROM dead_letters WHERE topic = $1`,
      [topic],
    );
    expect(letters.rows).toEqual([
      {
        offset: poisonOffset,
        partition: POISON_PARTITION,
        error_code: 'PROCESSING_FAILED',
        error_message: 'simulated bug: cannot store a reading of poison-device (SQLSTATE P0001)',
        attempts: ATTEMPTS,
        published: true,
      },
    ]);
    expect(await topicEnd(kafka, dlqTopic)).toBe(1);

    // Everything else exactly once, aggregates consistent.
    const stored = await pool.query<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct FROM raw_events',
    );
    expect(stored.rows[0]).toEqual({ n: good.length, distinct: good.length });
    expect(await aggregateMismatches(pool)).toEqual([]);

    const metrics = await scrape(`http://127.0.0.1:${opsPort}/metrics`);
    expect(sumOf(metrics, 'telemetry_processor_batch_failures_total')).toBe(ATTEMPTS);
    expect(sumOf(metrics, 'telemetry_processor_stuck_partitions')).toBe(0);
    expect((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status).toBe(200);
  });
  it('records a dead letter without its bytes when even the dead letter cannot be written with them', async () => {
    const { kafka, pool, producer, topic, group } = fx;
    // The database refuses this key's dead letters while they carry the record's bytes.
    await pool.query(`
      CREATE FUNCTION refuse_letter() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated bug: cannot store this dead letter'; END $$;
      CREATE TRIGGER refuse_letter BEFORE INSERT ON dead_letters FOR EACH ROW
        WHEN (NEW.message_key = 'undeliverable'::bytea AND NEW.message_value IS NOT NULL)
        EXECUTE FUNCTION refuse_letter();`);
    const before = await appliedRecords(pool, group, topic);
    const good = readings(50, 24, Date.now() - 3600_000);
    await producer.send({
      topic,
      messages: [
        ...good.slice(0, 25).map((e) => ({ partition: 4, key: e.device_id, value: JSON.stringify(e) })),
        { partition: 4, key: 'undeliverable', value: 'not json' },
        ...good.slice(25).map((e) => ({ partition: 4, key: e.device_id, value: JSON.stringify(e) })),
      ],
    });
    await waitFor(
      'the batch applied',
      async () => ((await appliedRecords(pool, group, topic)) >= before + 51 ? true : undefined),
      60_000,
    );
    await committedToEnd(kafka, group, topic);
    const letter = await pool.query<{
      error_code: string;
      error_message: string;
      key: Buffer | null;
      value: Buffer | null;
    }>(
      `SELECT error_code, error_message, message_key AS key, message_value AS value
         FROM dead_letters WHERE topic = $1 AND partition = 4`,
      [topic],
    );
    expect(letter.rows).toEqual([
      {
        error_code: 'PROCESSING_FAILED',
        error_message: expect.stringMatching(
          /^simulated bug: cannot store this dead letter \(SQLSTATE P0001\); its key and value could not be stored with it/,
        ),
        key: null,
        value: null,
      },
    ]);
    const stored = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM raw_events WHERE event_id = ANY($1::uuid[])',
      [good.map((e) => e.event_id)],
    );
    expect(stored.rows[0]?.n).toBe(good.length);
  });
});

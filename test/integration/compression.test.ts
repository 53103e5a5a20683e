import {
  COMPRESSIONS,
  createKafkaClient,
  createKafkaProducer,
  type Compression,
} from '@telemetry-pulse/shared';
import { runDlqCommand } from '../../services/processor/src/dlq/cli/run';
import { readings } from '../support/events';
import { BROKERS, quietLogger, testKafkaClientOptions, uniqueName, waitFor } from '../support/infra';
import { kcatConsume, kcatProduce, requireKcat } from '../support/kcat';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

/**
 * Issue 14: a snappy, lz4 or zstd batch from another client used to fail kafkajs's whole fetch
 * (KafkaJSNotImplemented) and restart the group forever. Here librdkafka (kcat) writes one partition per
 * codec, each batch holding readings and one poison message; the real processor must store every reading
 * and republish the poison byte-exact, and what our producer writes must read back through librdkafka.
 */
describe('compressed batches (every Kafka codec, librdkafka on the other side)', () => {
  let fx: ProcessorFixture;
  const perCodec = 120;

  beforeAll(async () => {
    requireKcat();
    fx = await openProcessorFixture({ prefix: 'codecs', partitions: COMPRESSIONS.length });
  });
  afterAll(async () => fx?.close());

  /** Not JSON, not UTF-8, no NUL: only the codec is under test here. */
  const poisonFor = (codec: Compression) => ({
    key: Buffer.from(`poison-${codec}`),
    value: Buffer.concat([Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(` kcat -z ${codec} {"event_id":`)]),
  });

  it('stores every reading and dead-letters the poison byte-exact, whatever codec its batch used', async () => {
    for (const [partition, codec] of COMPRESSIONS.entries()) {
      const events = readings(perCodec, 6).map((e) => ({ ...e, device_id: `${codec}-${e.device_id}` }));
      const messages = events.map((e) => ({
        key: Buffer.from(e.device_id),
        value: Buffer.from(JSON.stringify(e)),
      }));
      messages.splice(perCodec / 2, 0, poisonFor(codec)); // mid-batch, between readings
      await kcatProduce({
        topic: fx.topic,
        partition,
        compression: codec,
        messages,
        headers: { 'x-producer': `kcat-${codec}` },
      });
    }

    await fx.startProcessor();
    const perDevicePrefix = async () => {
      const { rows } = await fx.pool.query<{ codec: string; n: number }>(
        `SELECT split_part(device_id, '-', 1) AS codec, count(*)::int AS n FROM raw_events GROUP BY 1 ORDER BY 1`,
      );
      return Object.fromEntries(rows.map((r) => [r.codec, r.n]));
    };
    await waitFor(
      'every reading stored and every poison dead-lettered',
      async () => {
        const { rows } = await fx.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM dead_letters WHERE published_at IS NOT NULL',
        );
        const stored = Object.values(await perDevicePrefix()).reduce((a, b) => a + b, 0);
        return rows[0]?.n === COMPRESSIONS.length && stored === COMPRESSIONS.length * perCodec
          ? true
          : undefined;
      },
      60_000,
    );
    expect(await perDevicePrefix()).toEqual(Object.fromEntries(COMPRESSIONS.map((c) => [c, perCodec])));

    // Read back by librdkafka, not kafkajs: the bytes on the DLQ topic are the bytes kcat sent.
    const letters = await kcatConsume(fx.dlqTopic);
    expect(letters).toHaveLength(COMPRESSIONS.length);
    for (const [partition, codec] of COMPRESSIONS.entries()) {
      const poison = poisonFor(codec);
      const letter = letters.find((l) => l.key?.equals(poison.key));
      expect(letter?.value?.toString('hex')).toBe(poison.value.toString('hex'));
      expect(letter?.headers).toContain(`x-producer=kcat-${codec}`);
      expect(letter?.headers).toContain(`x-original-partition=${partition}`);
      expect(letter?.headers).toContain('x-error-code=INVALID_JSON');
    }
  });

  it('writes batches with every codec that librdkafka reads back byte-exact', async () => {
    const kafka = createKafkaClient(
      { brokers: BROKERS, clientId: 'it-codecs', ssl: false },
      quietLogger,
      testKafkaClientOptions,
    );
    const topic = uniqueName('it.codecs.out');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    try {
      const sent: string[] = [];
      for (const compression of COMPRESSIONS) {
        // The broker decompresses every batch to validate it, so its Java decoders read these first.
        const producer = createKafkaProducer(kafka, { idempotent: true, compression });
        await producer.connect();
        const values = readings(300, 6).map((e) => JSON.stringify({ ...e, codec: compression }));
        await producer.send(
          topic,
          values.map((v) => ({ key: compression, value: v })),
        );
        await producer.disconnect();
        sent.push(...values);
      }
      const read = await kcatConsume(topic);
      expect(read.map((r) => r.value?.toString())).toEqual(sent);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('lets the DLQ tool list and replay letters from compressed DLQ batches, key and value unchanged', async () => {
    const dlqTopic = uniqueName('it.codecs.dlq');
    const target = uniqueName('it.codecs.replayed');
    const admin = fx.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: dlqTopic, numPartitions: 1 },
        { topic: target, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    try {
      for (const [offset, codec] of COMPRESSIONS.entries()) {
        await kcatProduce({
          topic: dlqTopic,
          partition: 0,
          compression: codec,
          messages: [poisonFor(codec)],
          headers: {
            'x-error-code': 'INVALID_JSON',
            'x-error-message': 'not JSON',
            'x-original-topic': target,
            'x-original-partition': '0',
            'x-original-offset': String(offset),
            'x-original-timestamp': new Date().toISOString(),
            'x-consumer-group': 'it-codecs',
            'x-attempt-count': '1',
          },
        });
      }
      let stdout = '';
      const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } };
      const env = { KAFKA_BROKERS: BROKERS.join(','), PROCESSOR_DLQ_TOPIC: dlqTopic };
      expect(await runDlqCommand(['list', '--json', '--limit', '0'], env, io)).toBe(0);
      const listed = stdout
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as { key: string; value: string });
      expect(listed.map((l) => l.key)).toEqual(COMPRESSIONS.map((c) => `poison-${c}`));
      expect(listed.map((l) => l.value)).toEqual(
        COMPRESSIONS.map((c) => poisonFor(c).value.toString('base64')),
      );

      expect(await runDlqCommand(['replay'], env, io)).toBe(0);
      const replayed = await kcatConsume(target);
      expect(replayed.map((r) => [r.key?.toString(), r.value?.toString('hex')])).toEqual(
        COMPRESSIONS.map((c) => [`poison-${c}`, poisonFor(c).value.toString('hex')]),
      );
    } finally {
      await admin.deleteTopics({ topics: [dlqTopic, target] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

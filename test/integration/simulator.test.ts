import type { Kafka, KafkaMessage } from 'kafkajs';
import { parseEvent } from '@telemetry-pulse/shared';
import type { RunSummary } from '@telemetry-pulse/simulator';
import { testKafka, uniqueName, waitFor } from '../support/infra';
import { runTestSimulator } from '../support/simulator';

const COUNT = 10_000;
const MALFORMED_RATE = 0.05;
const PARTITIONS = 6;

interface Received {
  readonly partition: number;
  readonly message: KafkaMessage;
}

/**
 * The simulator in-process with the real kafkajs producer against the real broker, read back with a plain
 * consumer: exact count, keys, partitions, and which messages parse.
 */
describe('simulator against the real broker', () => {
  const admin: Kafka = testKafka();
  const topic = uniqueName('telemetry.events.it');
  const dlq = `${topic}.dlq`;
  let summary: RunSummary;
  let received: Received[] = [];

  beforeAll(async () => {
    summary = await runTestSimulator([
      ...['--count', String(COUNT), '--seed', '1', '--rate', '0'],
      ...['--malformed-rate', String(MALFORMED_RATE), '--tag-kind'],
      ...['--topic', topic, '--dlq-topic', dlq, '--partitions', String(PARTITIONS)],
      ...['--batch-size', '500'],
    ]);

    const consumer = admin.consumer({ groupId: uniqueName('simulator-it') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const all: Received[] = [];
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) all.push({ partition: batch.partition, message });
      },
    });
    try {
      await waitFor(
        `${COUNT} messages on ${topic}`,
        async () => (all.length >= COUNT ? true : undefined),
        60_000,
      );
      // A moment more, so a surplus (a producer retry landing twice) would be seen too.
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      await consumer.disconnect();
    }
    received = all;
  });

  afterAll(async () => {
    const client = admin.admin();
    await client.connect();
    await client.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await client.disconnect();
  });

  it('created the topic and its dead-letter topic with six partitions', async () => {
    const client = admin.admin();
    await client.connect();
    try {
      const meta = await client.fetchTopicMetadata({ topics: [topic, dlq] });
      expect(meta.topics.map((t) => t.partitions.length)).toEqual([PARTITIONS, PARTITIONS]);
    } finally {
      await client.disconnect();
    }
  });

  it('published exactly --count messages, all acknowledged', () => {
    expect(summary).toMatchObject({ sent: COUNT, reason: 'count' });
    expect(received).toHaveLength(COUNT);
  });

  it('spread them over every partition', () => {
    expect(new Set(received.map((r) => r.partition)).size).toBe(PARTITIONS);
  });

  it('keys each message by a device id, the one inside the event when it parses', () => {
    for (const { message } of received) {
      const key = message.key?.toString() ?? '';
      expect(key).toMatch(/^site-\d\d-zone-\d\d-dev-\d\d$/);
      const parsed = parseEvent(message.value);
      if (parsed.ok) expect(parsed.event.deviceId).toBe(key);
    }
  });

  it('keeps each device on one partition', () => {
    const partitionOf = new Map<string, number>();
    for (const { partition, message } of received) {
      const key = message.key?.toString() ?? '';
      expect(partitionOf.get(key) ?? partition).toBe(partition);
      partitionOf.set(key, partition);
    }
  });

  it('sends only intentionally malformed messages that fail parseEvent, at the configured share', () => {
    let malformed = 0;
    for (const { message } of received) {
      const kind = message.headers?.['sim-kind']?.toString();
      const parsed = parseEvent(message.value);
      if (kind === 'malformed') {
        malformed += 1;
        expect(parsed.ok).toBe(false);
      } else {
        expect(parsed).toMatchObject({ ok: true });
      }
    }
    expect(Math.abs(malformed / COUNT - MALFORMED_RATE)).toBeLessThanOrEqual(0.02);
    expect(malformed).toBe(summary.counts.malformed);
  });
});

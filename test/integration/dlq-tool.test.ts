import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import { ConfigError } from '@telemetry-pulse/shared';
import { runDlqCommand } from '../../services/processor/src/dlq/cli/run';
import { BROKERS, testKafka, uniqueName, waitFor } from '../support/infra';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'services', 'processor', 'dist', 'dlq-cli.js');
const run = promisify(execFile);

/** A dead letter shaped like the processor's (adapters/dlq-publisher.ts), placed on a chosen partition. */
interface Letter {
  readonly partition: number;
  readonly key: string;
  readonly value: Buffer;
  readonly code: string;
  readonly replayCount?: string;
  readonly extraHeaders?: Record<string, string>;
  readonly timestampMs?: number;
}

/**
 * telemetry-dlq against the real broker: listing and filtering, inspecting, a dry run that sends nothing,
 * a replay that sends the original bytes with rewritten headers and refuses letters at the replay limit.
 */
describe('telemetry-dlq (real Kafka)', () => {
  const kafka: Kafka = testKafka();
  const dlqTopic = uniqueName('it.dlq-tool.dlq');
  const targetTopic = uniqueName('it.dlq-tool.events');
  const env = { KAFKA_BROKERS: BROKERS.join(','), PROCESSOR_DLQ_TOPIC: dlqTopic };
  const threeHoursAgo = Date.now() - 3 * 3_600_000;
  // Produced one partition at a time in this order, so partition 0 holds offsets 0..2, partition 1 0..1.
  const letters: Letter[] = [
    { partition: 0, key: 'dev-1', value: Buffer.from('{"event_id":'), code: 'INVALID_JSON' },
    {
      partition: 0,
      key: 'dev-2',
      value: Buffer.from(JSON.stringify({ device_id: 'dev-2', value: 'high' })),
      code: 'SCHEMA_VIOLATION',
      extraHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    },
    {
      partition: 0,
      key: 'dev-5',
      value: Buffer.from('{"device_id":"dev-5","ts_event":"2099-01-01T00:00:00Z"}'),
      code: 'FUTURE_EVENT_TIME',
      replayCount: '1',
    },
    {
      partition: 1,
      key: 'dev-3',
      value: Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      code: 'SCHEMA_VIOLATION',
      timestampMs: threeHoursAgo,
    },
    {
      partition: 1,
      key: 'dev-4',
      value: Buffer.from('{"device_id":"dev-4"}'),
      code: 'FUTURE_EVENT_TIME',
      replayCount: '3',
    },
  ];
  const offsetOf = (l: Letter): number => letters.filter((o) => o.partition === l.partition).indexOf(l);
  const readerGroups = async (): Promise<string[]> =>
    (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith('telemetry-dlq-'));
  let admin: Admin;
  let producer: Producer;
  let groupsBefore: string[];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    groupsBefore = await readerGroups(); // a killed run's group lingers until the broker expires it
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: dlqTopic, numPartitions: 2 },
        { topic: targetTopic, numPartitions: 1 },
      ],
    });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (const l of letters) {
      const headers: IHeaders = {
        ...l.extraHeaders,
        'x-error-code': l.code,
        'x-error-message': `failed: ${l.code}`,
        'x-original-topic': targetTopic,
        'x-original-partition': '0',
        'x-original-offset': String(100 + letters.indexOf(l)),
        'x-original-timestamp': new Date().toISOString(),
        'x-consumer-group': 'telemetry-processor',
        'x-attempt-count': '1',
        ...(l.replayCount !== undefined ? { 'x-replay-count': l.replayCount } : {}),
      };
      await producer.send({
        topic: dlqTopic,
        messages: [
          {
            partition: l.partition,
            key: l.key,
            value: l.value,
            headers,
            ...(l.timestampMs !== undefined ? { timestamp: String(l.timestampMs) } : {}),
          },
        ],
      });
    }
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [dlqTopic, targetTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function dlq(
    ...argv: string[]
  ): Promise<{ code: number; stdout: string; stderr: string; lines: string[] }> {
    let stdout = '';
    let stderr = '';
    const code = await runDlqCommand(argv, env, {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
    });
    return { code, stdout, stderr, lines: stdout.split('\n').filter((l) => l.length > 0) };
  }

  async function targetCount(): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(targetTopic);
    return offsets.reduce((n, o) => n + Number(o.high), 0);
  }

  it('lists every dead letter with its code, origin and replay count, and counts by code', async () => {
    const { code, lines, stdout } = await dlq('list');
    expect(code).toBe(0);
    const letterLines = lines.filter((l) => /^\d+:\d+ /.test(l));
    expect(letterLines).toHaveLength(letters.length);
    for (const l of letters) {
      const line = letterLines.find((x) => x.startsWith(`${l.partition}:${offsetOf(l)} `));
      expect(line).toContain(l.code);
      expect(line).toContain(`${targetTopic}/0@${100 + letters.indexOf(l)}`);
      expect(line).toContain(`replays=${l.replayCount ?? '0'}`);
    }
    expect(stdout).toContain('<binary, 4 bytes>');
    expect(stdout).toContain('5 of 5 dead letters matched.');
    expect(stdout).toMatch(/FUTURE_EVENT_TIME\s+2\n/);
    expect(stdout).toMatch(/SCHEMA_VIOLATION\s+2\n/);
    expect(stdout).toMatch(/INVALID_JSON\s+1/);
  });

  it('filters by error code (repeated or comma list), time, partition and limit', async () => {
    const byCode = await dlq('list', '--error', 'schema_violation', '--error=INVALID_JSON');
    expect(byCode.stdout).toContain('3 of 5 dead letters matched.');
    expect((await dlq('list', '--error', 'SCHEMA_VIOLATION,INVALID_JSON')).stdout).toContain('3 of 5');

    const recent = await dlq('list', '--since', '1h');
    expect(recent.stdout).toContain('4 of 5 dead letters matched.');
    expect(recent.stdout).not.toContain('<binary');

    const json = await dlq('list', '--partition', '1', '--json', '--limit', '1');
    expect(json.lines).toHaveLength(1);
    const first = JSON.parse(json.lines[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({
      partition: 1,
      offset: '0',
      errorCode: 'SCHEMA_VIOLATION',
      value: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64'),
      valueEncoding: 'base64',
      key: 'dev-3',
    });
    expect(json.stderr).toContain('2 of 2 dead letters matched; showing the first 1');
  });

  it('inspects one dead letter in full and explains a missing one', async () => {
    const shown = await dlq('inspect', '0:1');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Dead letter ${dlqTopic} 0:1`);
    expect(shown.stdout).toMatch(/x-error-message\s+failed: SCHEMA_VIOLATION/);
    expect(shown.stdout).toMatch(/traceparent\s+00-0af7651916cd43dd8448eb211c80319c/);
    expect(shown.stdout).toContain(`Value (${letters[1]?.value.length} bytes, UTF-8):\n${letters[1]?.value}`);

    const binary = await dlq('inspect', '1:0');
    expect(binary.stdout).toContain('Value (4 bytes, base64; not valid UTF-8):\n//4AAQ==');

    const missing = await dlq('inspect', '0:99');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no dead letter at 0:99: partition 0 of');
    await expect(dlq('inspect', '2')).rejects.toThrow(ConfigError); // bare offset on a 2-partition DLQ
  });

  it('sends nothing on a dry run', async () => {
    const { code, stdout } = await dlq('replay', '--dry-run');
    expect(code).toBe(0);
    expect(stdout.match(/^would replay /gm)).toHaveLength(4);
    expect(stdout).toContain('skipped 1:1  replay-limit: already replayed 3 times (--max-replays 3)');
    expect(stdout).toContain('dry run: would replay 4, skipped 1 (replay-limit 1)');
    expect(await targetCount()).toBe(0);
  });

  it('replays the original bytes with rewritten headers and refuses letters at the replay limit', async () => {
    const { code, stdout } = await dlq('replay', '--error', 'SCHEMA_VIOLATION,FUTURE_EVENT_TIME');
    expect(code).toBe(0);
    expect(stdout).toContain('skipped 1:1  replay-limit');
    expect(stdout).toContain('replayed 3, skipped 1 (replay-limit 1); 4 of 5 dead letters matched.');
    expect(await targetCount()).toBe(3);

    const received = await readTopic(kafka, targetTopic, 3);
    const byKey = new Map(received.map((m) => [m.key, m]));
    for (const l of letters.filter((x) => x.code !== 'INVALID_JSON' && x.replayCount !== '3')) {
      const m = byKey.get(l.key);
      expect(m?.value.equals(l.value)).toBe(true);
      expect(m?.headers['x-replay-count']).toBe(String(Number(l.replayCount ?? '0') + 1));
      expect(m?.headers['x-replayed-from']).toBe(`${dlqTopic}:${l.partition}:${offsetOf(l)}`);
      const names = Object.keys(m?.headers ?? {});
      expect(
        names.filter((n) => /^x-(error|original)-|^x-consumer-group$|^x-attempt-count$/.test(n)),
      ).toEqual([]);
    }
    expect(byKey.get('dev-2')?.headers['traceparent']).toBe(letters[1]?.extraHeaders?.['traceparent']);
  });

  it('stops at once and exits 130 when interrupted, still cleaning up', async () => {
    const interrupt = new AbortController();
    interrupt.abort();
    let stdout = '';
    let stderr = '';
    const code = await runDlqCommand(['list'], env, {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      signal: interrupt.signal,
    });
    expect(code).toBe(130);
    expect(stdout).toContain('0 of 0 dead letters matched (stopped after 0 of 5).');
    expect(stderr).toContain('interrupted');
  });

  it('leaves no consumer group behind', async () => {
    expect((await readerGroups()).filter((g) => !groupsBefore.includes(g))).toEqual([]);
  });

  it('compiled CLI: --help exits 0, a bad flag exits 2, an unreachable broker exits 1 naming KAFKA_BROKERS', async () => {
    const help = await run('node', [CLI, '--help']);
    expect(help.stdout).toMatch(/^Usage: telemetry-dlq <command> \[options\]/);
    expect((await run('node', [CLI, 'replay', '--help'])).stdout).toContain('--max-replays <value>');

    const bad = await run('node', [CLI, 'list', '--no-such-flag']).catch((e: unknown) => e);
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--no-such-flag'"),
    });

    // kafkajs retries an unreachable broker for ~30 s before giving up (~10 s under jest's NODE_ENV=test).
    const down = await run('node', [CLI, 'list'], {
      env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' },
    }).catch((e: unknown) => e);
    expect(down).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cannot reach Kafka at 127.0.0.1:1 (set KAFKA_BROKERS)'),
    });
  });
});

/**
 * Regression: with eachBatchAutoResolve off and nothing resolving offsets, kafkajs fetched the first batch
 * of a partition forever, so any DLQ larger than one fetch (256 KiB) never finished reading.
 */
describe('telemetry-dlq on a DLQ larger than one fetch', () => {
  const kafka: Kafka = testKafka();
  const dlqTopic = uniqueName('it.dlq-tool.big.dlq');
  const env = { KAFKA_BROKERS: BROKERS.join(','), PROCESSOR_DLQ_TOPIC: dlqTopic, DLQ_READ_TIMEOUT: '20s' };
  const count = 3_000; // ~300 bytes each: about 1 MiB on one partition, four fetches or more
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlqTopic, numPartitions: 1 }] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: count }, (_, i) => ({
      key: `dev-${i % 20}`,
      value: JSON.stringify({ event_id: `e-${i}`, padding: 'x'.repeat(200) }),
      headers: { 'x-error-code': i % 2 ? 'INVALID_JSON' : 'SCHEMA_VIOLATION' },
    }));
    for (let i = 0; i < count; i += 500)
      await producer.send({ topic: dlqTopic, messages: messages.slice(i, i + 500) });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reads every dead letter once, in order, and finds the last one by offset', async () => {
    let stdout = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } };
    expect(await runDlqCommand(['list', '--json', '--limit', '0'], env, io)).toBe(0);
    const offsets = stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => Number((JSON.parse(l) as { offset: string }).offset));
    expect(offsets).toEqual(Array.from({ length: count }, (_, i) => i));

    stdout = '';
    expect(await runDlqCommand(['inspect', String(count - 1)], env, io)).toBe(0);
    expect(stdout).toContain(`"event_id":"e-${count - 1}"`);
  });
});

interface Received {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** Every message of `topic` (expects exactly `count`), read by a throwaway consumer group. */
async function readTopic(kafka: Kafka, topic: string, count: number): Promise<Received[]> {
  const out: Received[] = [];
  const groupId = uniqueName('it-dlq-tool-reader');
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ key: String(message.key), value: message.value ?? Buffer.alloc(0), headers });
      },
    });
    await waitFor(
      `${count} messages on ${topic}`,
      async () => (out.length >= count ? true : undefined),
      30_000,
    );
  } finally {
    await consumer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return out;
}

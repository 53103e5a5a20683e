import { ConfigError, type MessageProducer, type OutboundMessage } from '@telemetry-pulse/shared';
import type { CommandDeps } from '../../../../services/processor/src/dlq/commands/deps';
import type { DeadLetter } from '../../../../services/processor/src/dlq/domain/dead-letter';
import { DlqToolError } from '../../../../services/processor/src/dlq/domain/errors';
import { runInspect } from '../../../../services/processor/src/dlq/commands/inspect';
import { runList } from '../../../../services/processor/src/dlq/commands/list';
import type {
  InspectConfig,
  ListConfig,
  ReplayConfig,
} from '../../../../services/processor/src/dlq/config/command-config';
import { runReplay } from '../../../../services/processor/src/dlq/commands/replay';
import type { DlqSource } from '../../../../services/processor/src/dlq/domain/source';

/**
 * The commands over an object-literal source and producer: what is sent, skipped, printed and when reading
 * stops. The Kafka adapter itself is covered by test/integration/dlq-tool.test.ts.
 */

function letter(partition: number, offset: number, code: string, replayCount?: number): DeadLetter {
  const headers: Record<string, Buffer> = {
    'x-error-code': Buffer.from(code),
    'x-original-topic': Buffer.from('telemetry.events'),
    'x-attempt-count': Buffer.from('1'),
  };
  if (replayCount !== undefined) headers['x-replay-count'] = Buffer.from(String(replayCount));
  return {
    partition,
    offset: String(offset),
    timestampMs: Date.UTC(2025, 5, 1) + offset,
    key: Buffer.from(`dev-${partition}-${offset}`),
    value: Buffer.from([offset, 0xff]),
    headers,
  };
}

/** Partition p holds `letters[p]` from offset 0, delivered two at a time. */
function fakeSource(letters: DeadLetter[][], batchSize = 2): DlqSource & { batchesRead: number } {
  const source = {
    batchesRead: 0,
    partitions: async () => letters.map((l, p) => ({ partition: p, low: '0', high: String(l.length) })),
    topics: async () => new Set(['telemetry.events', 'telemetry.events.dlq']),
    async read(ranges: Parameters<DlqSource['read']>[0], onBatch: Parameters<DlqSource['read']>[1]) {
      for (const r of ranges) {
        const inRange = (letters[r.partition] ?? []).slice(Number(r.from), Number(r.to));
        for (let i = 0; i < inRange.length; i += batchSize) {
          source.batchesRead += 1;
          if ((await onBatch(inRange.slice(i, i + batchSize))) === 'stop') return;
        }
      }
    },
    close: async () => undefined,
  };
  return source;
}

function fakeProducer(failOnSend = false) {
  const sent: { topic: string; messages: readonly OutboundMessage[] }[] = [];
  const calls: string[] = [];
  const producer: MessageProducer = {
    connect: async () => void calls.push('connect'),
    disconnect: async () => void calls.push('disconnect'),
    async send(topic, messages) {
      if (failOnSend) throw new Error('NOT_ENOUGH_REPLICAS');
      sent.push({ topic, messages });
    },
  };
  return { producer, sent, calls };
}

function deps(source: DlqSource, producer?: MessageProducer) {
  const out: string[] = [];
  const err: string[] = [];
  const d: CommandDeps = {
    source,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    now: () => 0,
    createProducer: () => {
      if (!producer) throw new Error('a dry run must not create a producer');
      return producer;
    },
  };
  return { d, out, err };
}

const common = {
  kafka: { brokers: ['k:9092'], clientId: 't', ssl: false },
  readTimeoutMs: 30_000,
  logLevel: 'silent' as const,
};
const replayConfig = (over: Partial<ReplayConfig> = {}): ReplayConfig => ({
  ...common,
  dlqTopic: 'telemetry.events.dlq',
  filter: { errorCodes: [] },
  limit: undefined,
  targetTopic: undefined,
  fallbackTopic: 'telemetry.events',
  maxReplays: 3,
  dryRun: false,
  ...over,
});

describe('runReplay', () => {
  const dlq = [
    [letter(0, 0, 'INVALID_JSON'), letter(0, 1, 'SCHEMA_VIOLATION', 3), letter(0, 2, 'SCHEMA_VIOLATION', 1)],
    [letter(1, 0, 'SCHEMA_VIOLATION')],
  ];

  it('sends the original key and value with rewritten headers, and skips letters at the limit', async () => {
    const { producer, sent, calls } = fakeProducer();
    const { d, out } = deps(fakeSource(dlq), producer);
    await runReplay(replayConfig({ filter: { errorCodes: ['SCHEMA_VIOLATION'] } }), d);

    const messages = sent.flatMap((s) => s.messages.map((m) => ({ topic: s.topic, ...m })));
    expect(messages.map((m) => [m.topic, String(m.key), m.headers?.['x-replay-count']])).toEqual([
      ['telemetry.events', 'dev-0-2', '2'],
      ['telemetry.events', 'dev-1-0', '1'],
    ]);
    expect(messages[0]?.value).toEqual(dlq[0]?.[2]?.value);
    expect(messages[0]?.headers).not.toHaveProperty('x-attempt-count');
    expect(calls).toEqual(['connect', 'disconnect']);
    expect(out).toEqual([
      'skipped 0:1  replay-limit: already replayed 3 times (--max-replays 3)',
      'replayed 0:2 -> telemetry.events  (x-replay-count 2)',
      'replayed 1:0 -> telemetry.events  (x-replay-count 1)',
      'replayed 2, skipped 1 (replay-limit 1); 3 of 4 dead letters matched.',
    ]);
  });

  it('sends nothing and opens no producer on a dry run', async () => {
    const { d, out } = deps(fakeSource(dlq));
    await runReplay(replayConfig({ dryRun: true }), d);
    expect(out.filter((l) => l.startsWith('would replay'))).toHaveLength(3);
    expect(out.at(-1)).toBe(
      'dry run: would replay 3, skipped 1 (replay-limit 1); 4 of 4 dead letters matched; nothing was sent.',
    );
  });

  it('stops reading once --limit letters are replayed', async () => {
    const many = [Array.from({ length: 10 }, (_, i) => letter(0, i, 'INVALID_JSON'))];
    const source = fakeSource(many);
    const { producer, sent } = fakeProducer();
    const { d, out } = deps(source, producer);
    await runReplay(replayConfig({ limit: 3 }), d);
    expect(sent.flatMap((s) => s.messages)).toHaveLength(3);
    expect(source.batchesRead).toBe(2);
    expect(out.at(-1)).toBe('replayed 3, skipped 0; 3 of 3 dead letters matched (stopped after 3 of 10).');
  });

  it('reads only --partition', async () => {
    const { producer, sent } = fakeProducer();
    await runReplay(
      replayConfig({ filter: { errorCodes: [], partition: 1 } }),
      deps(fakeSource(dlq), producer).d,
    );
    expect(sent.flatMap((s) => s.messages.map((m) => String(m.key)))).toEqual(['dev-1-0']);
  });

  it('refuses a partition the topic does not have as a usage error', async () => {
    const { producer } = fakeProducer();
    const run = runReplay(
      replayConfig({ filter: { errorCodes: [], partition: 5 } }),
      deps(fakeSource(dlq), producer).d,
    );
    await expect(run).rejects.toThrow(ConfigError);
  });

  it('explains a failed send with how much was already replayed, and still disconnects', async () => {
    const { producer, calls } = fakeProducer(true);
    const failure = await runReplay(replayConfig(), deps(fakeSource(dlq), producer).d).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DlqToolError);
    expect((failure as Error).message).toMatch(
      /^sending to telemetry\.events failed after 0 letters were replayed .*: NOT_ENOUGH_REPLICAS$/,
    );
    expect(calls).toEqual(['connect', 'disconnect']);
  });
});

describe('runList', () => {
  const listConfig = (over: Partial<ListConfig> = {}): ListConfig => ({
    ...common,
    dlqTopic: 'telemetry.events.dlq',
    filter: { errorCodes: [] },
    limit: 100,
    json: false,
    ...over,
  });
  const dlq = [
    Array.from({ length: 5 }, (_, i) => letter(0, i, i % 2 ? 'INVALID_JSON' : 'SCHEMA_VIOLATION')),
  ];

  it('shows up to --limit lines but counts every match', async () => {
    const { d, out } = deps(fakeSource(dlq));
    await runList(listConfig({ limit: 2 }), d);
    expect(out.filter((l) => /^0:\d/.test(l))).toHaveLength(2);
    expect(out.at(-1)).toBe(
      '5 of 5 dead letters matched; showing the first 2 (--limit 0 shows all).\nBy error code:\n  SCHEMA_VIOLATION  3\n  INVALID_JSON      2',
    );
  });

  it('writes only JSON lines to stdout with --json; the summary goes to stderr', async () => {
    const { d, out, err } = deps(fakeSource(dlq));
    await runList(listConfig({ json: true, limit: 0, filter: { errorCodes: ['INVALID_JSON'] } }), d);
    expect(out.map((l) => (JSON.parse(l) as { offset: string }).offset)).toEqual(['1', '3']);
    expect(err.at(-1)).toMatch(/^2 of 5 dead letters matched\./);
  });
});

describe('runInspect', () => {
  const inspectConfig = (partition: number | undefined, offset: string): InspectConfig => ({
    ...common,
    dlqTopic: 'telemetry.events.dlq',
    address: { partition, offset },
    json: false,
  });

  it('prints the one letter asked for', async () => {
    const { d, out } = deps(fakeSource([[letter(0, 0, 'A'), letter(0, 1, 'B')]], 5));
    await runInspect(inspectConfig(undefined, '1'), d);
    expect(out[0]).toMatch(/^Dead letter telemetry\.events\.dlq 0:1\n/);
    expect(out[0]).toContain('x-error-code      B');
  });

  it('needs <partition>:<offset> on a topic with several partitions', async () => {
    const { d } = deps(fakeSource([[letter(0, 0, 'A')], [letter(1, 0, 'B')]]));
    await expect(runInspect(inspectConfig(undefined, '0'), d)).rejects.toThrow(
      /write the address as <partition>:<offset>/,
    );
    await expect(runInspect(inspectConfig(7, '0'), d)).rejects.toThrow(ConfigError);
  });

  it('says which offsets the partition holds when the one asked for is not there', async () => {
    const { d } = deps(fakeSource([[letter(0, 0, 'A'), letter(0, 1, 'B')]]));
    await expect(runInspect(inspectConfig(0, '9'), d)).rejects.toThrow(
      new DlqToolError('no dead letter at 0:9: partition 0 of telemetry.events.dlq holds offsets 0..1'),
    );
  });
});

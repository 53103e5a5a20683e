import {
  createLogger,
  type MessageProducer,
  type OutboundMessage,
  type TopicSpec,
} from '@telemetry-pulse/shared';
import {
  createSimulator,
  parseSimulatorConfig,
  type Clock,
  type SimulatorConfig,
} from '@telemetry-pulse/simulator';

const logger = createLogger({ service: 'simulator-test', level: 'silent' });

function config(argv: string[]): SimulatorConfig {
  const parsed = parseSimulatorConfig(argv, { SIM_METRICS_PORT: '0', SIM_METRICS_HOST: '127.0.0.1' });
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

/** An in-memory producer recording what it was given; `failOn` makes the n-th send (1-based) reject. */
function fakeProducer(opts: { failOn?: number; delayMs?: number } = {}) {
  const batches: OutboundMessage[][] = [];
  const calls: string[] = [];
  let sends = 0;
  const producer: MessageProducer = {
    connect: async () => void calls.push('connect'),
    disconnect: async () => void calls.push('disconnect'),
    async send(topic, messages) {
      sends += 1;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (sends === opts.failOn) throw new Error('broker refused the batch');
      calls.push(`send ${topic}`);
      batches.push([...messages]);
    },
  };
  return { producer, batches, calls, messages: () => batches.flat() };
}

/** A clock whose sleeps advance time at once, so paced runs finish instantly. */
function fakeClock(startMs = Date.UTC(2025, 0, 15, 9)): Clock & { advanced: () => number } {
  let now = startMs;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advanced: () => now - startMs,
  };
}

describe('createSimulator', () => {
  it('creates both topics, sends exactly --count messages in batches and disconnects on stop', async () => {
    const fake = fakeProducer();
    const topics: TopicSpec[] = [];
    const sim = createSimulator({
      config: config([
        '--count',
        '1234',
        '--rate',
        '0',
        '--batch-size',
        '100',
        '--seed',
        '1',
        '--topic',
        't',
      ]),
      producer: fake.producer,
      logger,
      ensureTopics: async (specs) => void topics.push(...specs),
    });
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    await sim.stop(); // idempotent

    expect(topics).toEqual([
      { topic: 't', partitions: 6 },
      { topic: 'telemetry.events.dlq', partitions: 6 },
    ]);
    expect(fake.messages()).toHaveLength(1234);
    expect(fake.batches.map((b) => b.length)).toEqual([...Array(12).fill(100), 34]);
    expect(summary).toMatchObject({ sent: 1234, reason: 'count' });
    const { silenced: _silenced, ...byKind } = summary.counts;
    expect(Object.values(byKind).reduce((a, b) => a + b, 0)).toBe(1234);
    expect(fake.calls[0]).toBe('connect');
    expect(fake.calls.filter((c) => c === 'disconnect')).toHaveLength(1);
    expect(fake.calls.at(-1)).toBe('disconnect');
    expect(sim.seed).toBe(1);
  });

  it('keys every message by device id and tags kinds only when asked', async () => {
    for (const tag of [false, true]) {
      const fake = fakeProducer();
      const sim = createSimulator({
        config: config([
          '--count',
          '500',
          '--rate',
          '0',
          '--malformed-rate',
          '0.2',
          ...(tag ? ['--tag-kind'] : []),
        ]),
        producer: fake.producer,
        logger,
        ensureTopics: async () => undefined,
      });
      await sim.start();
      await sim.done;
      await sim.stop();
      for (const m of fake.messages()) {
        expect(m.key).toMatch(/^site-\d\d-zone-\d\d-dev-\d\d$/);
        if (tag)
          expect(m.headers?.['sim-kind']).toMatch(/^(valid|anomaly|duplicate|late|out_of_order|malformed)$/);
        else expect(m.headers).toBeUndefined();
      }
    }
  });

  it('skips topic creation when told to', async () => {
    const ensureTopics = jest.fn(async () => undefined);
    const sim = createSimulator({
      config: config(['--count', '1', '--create-topics', 'false']),
      producer: fakeProducer().producer,
      logger,
      ensureTopics,
    });
    await sim.start();
    await sim.done;
    await sim.stop();
    expect(ensureTopics).not.toHaveBeenCalled();
  });

  it('paces a live run to --rate', async () => {
    const fake = fakeProducer();
    const clock = fakeClock();
    const sim = createSimulator({
      config: config(['--rate', '50', '--duration', '60s']),
      producer: fake.producer,
      logger,
      ensureTopics: async () => undefined,
      clock,
    });
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    expect(summary.reason).toBe('duration');
    expect(clock.advanced()).toBeGreaterThanOrEqual(60_000);
    // 50/s for 60 s, plus the first group sent at once.
    expect(fake.messages().length).toBeGreaterThanOrEqual(2_990);
    expect(fake.messages().length).toBeLessThanOrEqual(3_010);
    // Groups of one linger period: 5 messages per 100 ms at 50/s.
    expect(Math.max(...fake.batches.map((b) => b.length))).toBe(5);
  });

  it('ends a backfill when its span is covered, stamping history up to the end instant', async () => {
    const fake = fakeProducer();
    const lines: string[] = [];
    const sim = createSimulator({
      config: config([
        '--backfill',
        '1h',
        '--backfill-end',
        '2025-01-15T12:00:00Z',
        '--interval',
        '1m',
        '--seed',
        '3',
        '--sites',
        '1',
        '--zones',
        '2',
        '--devices',
        '2',
        '--anomaly-rate',
        '0',
        '--duplicate-rate',
        '0',
        '--late-rate',
        '0',
        '--out-of-order-rate',
        '0',
        '--malformed-rate',
        '0',
      ]),
      producer: fake.producer,
      logger,
      ensureTopics: async () => undefined,
      progress: (line) => lines.push(line),
    });
    await sim.start();
    const summary = await sim.done;
    await sim.stop();
    expect(summary.reason).toBe('backfill');
    expect(summary.sent).toBe(60 * 4 * 4); // minutes × devices × sensors
    const times = fake
      .messages()
      .map((m) => Date.parse((JSON.parse(String(m.value)) as { ts_event: string }).ts_event));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.UTC(2025, 0, 15, 11));
    expect(Math.max(...times)).toBeLessThan(Date.UTC(2025, 0, 15, 12));
    expect(lines.at(-1)).toMatch(/^sent 960 \(100\.0%\) \| [\d,]+ ev\/s \| ETA 0:00$/);
  });

  it('flushes what it holds and reports a stop when stopped mid-run', async () => {
    const fake = fakeProducer({ delayMs: 5 });
    const sim = createSimulator({
      config: config(['--rate', '0', '--batch-size', '50']),
      producer: fake.producer,
      logger,
      ensureTopics: async () => undefined,
    });
    await sim.start();
    await new Promise((r) => setTimeout(r, 60));
    await sim.stop();
    const summary = await sim.done;
    expect(summary.reason).toBe('stopped');
    expect(summary.sent).toBeGreaterThan(0);
    // Everything generated was sent before the producer closed.
    const { silenced: _silenced, ...byKind } = summary.counts;
    expect(Object.values(byKind).reduce((a, b) => a + b, 0)).toBe(summary.sent);
    expect(fake.messages()).toHaveLength(summary.sent);
    expect(fake.calls.at(-1)).toBe('disconnect');
  });

  it('stops promptly while waiting for the pace, without waiting out the sleep', async () => {
    const fake = fakeProducer();
    const sim = createSimulator({
      config: config(['--rate', '1', '--linger', '10s']),
      producer: fake.producer,
      logger,
      ensureTopics: async () => undefined,
    });
    await sim.start();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await sim.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await sim.done).reason).toBe('stopped');
  });

  it('fails the run when a batch cannot be sent, and still closes the producer', async () => {
    const fake = fakeProducer({ failOn: 3 });
    const sim = createSimulator({
      config: config(['--count', '1000', '--rate', '0', '--batch-size', '100']),
      producer: fake.producer,
      logger,
      ensureTopics: async () => undefined,
    });
    await sim.start();
    await expect(sim.done).rejects.toThrow('broker refused the batch');
    await sim.stop();
    expect(fake.batches).toHaveLength(2);
    expect(fake.calls.at(-1)).toBe('disconnect');
  });

  it('rejects start() and done when the broker cannot be reached', async () => {
    const producer: MessageProducer = {
      connect: async () => {
        throw new Error('connection refused');
      },
      send: async () => undefined,
      disconnect: async () => undefined,
    };
    const sim = createSimulator({
      config: config(['--count', '1']),
      producer,
      logger,
      ensureTopics: async () => undefined,
    });
    await expect(sim.start()).rejects.toThrow('connection refused');
    await expect(sim.done).rejects.toThrow('connection refused');
    await sim.stop();
  });
});

describe('simulator metrics', () => {
  it('counts acknowledged messages by sensor and outcome, and serves them on /metrics', async () => {
    const fake = fakeProducer();
    const sim = createSimulator({
      config: config(['--count', '2000', '--rate', '0', '--batch-size', '250', '--malformed-rate', '5%']),
      producer: fake.producer,
      logger,
      ensureTopics: async () => undefined,
    });
    await sim.start();
    const summary = await sim.done;
    try {
      const body = await (await fetch(`http://127.0.0.1:${sim.opsPort() ?? 0}/metrics`)).text();
      const produced = [
        ...body.matchAll(/^telemetry_simulator_events_produced_total\{([^}]*)\} (\d+)$/gm),
      ].map((m) => ({ labels: m[1] ?? '', n: Number(m[2]) }));
      expect(produced.reduce((a, p) => a + p.n, 0)).toBe(2000);
      const malformed = produced.filter((p) => p.labels.includes('outcome="malformed"'));
      expect(malformed.reduce((a, p) => a + p.n, 0)).toBe(summary.counts.malformed);
      expect(body).toMatch(/^telemetry_simulator_produce_duration_seconds_count 8$/m);
      expect(body).not.toMatch(/device_id|event_id/);
    } finally {
      await sim.stop();
    }
  });
});

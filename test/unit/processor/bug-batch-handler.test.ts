import { createLogger, type ConsumedBatch, type MessageProducer, type Pool } from '@telemetry-pulse/shared';
import { createProcessorMetrics } from '@telemetry-pulse/processor';
import { createBatchHandler } from '../../../services/processor/src/batch-handler';
import { insertRawEvents } from '../../../services/processor/src/adapters/postgres/raw-events';

/**
 * The handler's path for a batch that fails for a reason that is not transient (issue 14, item 3), with
 * an object-literal database that refuses one device's readings. Before: the error left the handler and
 * kafkajs restarted the whole consumer on the same batch, forever. The real broker and database run in
 * test/integration/poison-records.test.ts.
 */
describe('a batch failing for a non-transient reason', () => {
  const reading = (i: number, device: string) =>
    JSON.stringify({
      event_id: `3f2b8c1e-9a4d-4c6e-8f00-${String(i).padStart(12, '0')}`,
      device_id: device,
      site_id: 'site-1',
      zone_id: 'zone-1',
      sensor_type: 'co2',
      value: 600,
      ts_event: new Date(Date.now() - 60_000).toISOString(),
    });

  /** Fails any transaction inserting the poison device's reading; records what was dead-lettered. */
  function fakeDatabase() {
    const deadLettered: string[] = [];
    const client = {
      // A statement comes as text and values, or as a named statement's config.
      query: async (q: string | { text: string; values?: unknown[] }, values: unknown[] = []) => {
        const [sql, params] = typeof q === 'string' ? [q, values] : [q.text, q.values ?? []];
        if (sql.includes('INSERT INTO raw_events') && JSON.stringify(params).includes('poison-dev')) {
          throw Object.assign(new Error('simulated bug'), { code: 'XX000' });
        }
        if (sql.includes('INSERT INTO dead_letters')) {
          deadLettered.push(
            ...((params[4] as string[]) ?? []).map((o) => `${o}:${String((params[5] as string[])[0])}`),
          );
        }
        return { rows: [], rowCount: 0 };
      },
      on: () => undefined,
      off: () => undefined,
      release: () => undefined,
    };
    const pool = { connect: async () => client, query: client.query } as unknown as Pool;
    return { pool, deadLettered };
  }

  it('gives the batch back paused, a bounded number of times, then dead-letters the culprit and commits', async () => {
    const { pool, deadLettered } = fakeDatabase();
    const events: string[] = [];
    const committed: string[] = [];
    const records = [0, 1, 2, 3, 4, 5, 6].map((i) => ({
      offset: String(100 + i),
      key: null,
      value: Buffer.from(reading(i, i === 4 ? 'poison-dev' : 'dev-1')),
      headers: {},
      timestampMs: Date.now(),
    }));
    const batch: ConsumedBatch = {
      topic: 't',
      partition: 3,
      highWatermark: '107',
      records,
      heartbeat: async () => undefined,
      isActive: () => true,
      pause: () => events.push('pause'),
      resume: () => events.push('resume'),
      commit: async (lastOffset) => {
        committed.push(lastOffset);
      },
    };
    const metrics = createProcessorMetrics();
    const handler = createBatchHandler({
      pool,
      dlqProducer: { send: async () => undefined } as unknown as MessageProducer,
      metrics,
      logger: createLogger({ service: 'test', level: 'silent' }),
      group: 'g',
      dlqTopic: 't.dlq',
      windowSeconds: [300],
      rollupSeconds: [],
      rollupSourceSeconds: null,
      // The INSERT path: this object-literal database answers statements, not COPY streams.
      rawEvents: { write: insertRawEvents },
      lateness: { allowedLatenessMs: 120_000, horizonMs: 86_400_000, idleAfterMs: 30_000 },
      alerts: { apply: async () => ({ transitions: [], skippedOutOfOrder: 0 }) },
      maxFutureSkewMs: 600_000,
      retryBaseMs: 1,
      retryMaxMs: 1,
      pauseAfterMs: 60_000,
      failedBatchAttempts: 2,
    });

    for (const attempts of [1, 2]) {
      await handler.handle(batch); // resolves: the error never reaches kafkajs
      expect(committed).toEqual([]);
      expect(handler.stuckPartitions()).toEqual([
        expect.objectContaining({
          topic: 't',
          partition: 3,
          offset: '100',
          attempts,
          error: 'simulated bug (SQLSTATE XX000)',
        }),
      ]);
    }
    await new Promise((r) => setTimeout(r, 20));
    expect([...events].sort()).toEqual(['pause', 'pause', 'resume', 'resume']); // resumed after a backoff
    expect((await metrics.stuckPartitions.get()).values[0]?.value).toBe(1);

    await handler.handle(batch); // third delivery: isolate
    expect(deadLettered).toEqual(['104:PROCESSING_FAILED']);
    expect(committed).toEqual(['106']);
    expect(handler.stuckPartitions()).toEqual([]);
    expect((await metrics.batchFailures.get()).values[0]?.value).toBe(2);
  });

  it('lets a lost partition or group reach kafkajs as before', async () => {
    const { pool } = fakeDatabase();
    const batch: ConsumedBatch = {
      topic: 't',
      partition: 0,
      highWatermark: '1',
      records: [
        { offset: '0', key: null, value: Buffer.from(reading(1, 'dev-1')), headers: {}, timestampMs: 0 },
      ],
      heartbeat: async () => undefined,
      isActive: () => true,
      pause: () => undefined,
      resume: () => undefined,
      commit: async () => {
        throw new Error('The coordinator is not aware of this member');
      },
    };
    const handler = createBatchHandler({
      pool,
      dlqProducer: {} as MessageProducer,
      metrics: createProcessorMetrics(),
      logger: createLogger({ service: 'test', level: 'silent' }),
      group: 'g',
      dlqTopic: 't.dlq',
      windowSeconds: [300],
      rollupSeconds: [],
      rollupSourceSeconds: null,
      // The INSERT path: this object-literal database answers statements, not COPY streams.
      rawEvents: { write: insertRawEvents },
      lateness: { allowedLatenessMs: 120_000, horizonMs: 86_400_000, idleAfterMs: 30_000 },
      alerts: { apply: async () => ({ transitions: [], skippedOutOfOrder: 0 }) },
      maxFutureSkewMs: 600_000,
      retryBaseMs: 1,
      retryMaxMs: 1,
      pauseAfterMs: 60_000,
      failedBatchAttempts: 2,
    });
    await expect(handler.handle(batch)).rejects.toThrow('not aware of this member');
    expect(handler.stuckPartitions()).toEqual([]);
  });
});

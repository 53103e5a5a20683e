import { createLogger, type ConsumedBatch, type MessageProducer, type Pool } from '@telemetry-pulse/shared';
import { createProcessorMetrics } from '@telemetry-pulse/processor';
import { createBatchHandler } from '../../../services/processor/src/batch-handler';
import { insertRawEvents } from '../../../services/processor/src/adapters/postgres/raw-events';

/**
 * Regression (found by test/reliability, scenario 6): a batch transaction slower than the Kafka session
 * timeout sent no heartbeat, because kafkajs heartbeats only between batches or when asked and the handler
 * only asked while backing off. The member was evicted mid-transaction ("The coordinator is not aware of
 * this member"), its partitions re-read by the next owner, batch after batch while the database stayed
 * slow. The handler now heartbeats on a timer for as long as the batch's work runs.
 */
describe('regression: a slow transaction lost the group membership', () => {
  const QUERY_MS = 40; // every statement of the fake database takes this long
  const HEARTBEAT_MS = 10;

  /** A database that answers every statement slowly and has nothing stored. */
  const slowPool = {
    connect: async () => ({
      query: async () => {
        await new Promise((r) => setTimeout(r, QUERY_MS));
        return { rows: [], rowCount: 0 };
      },
      on: () => undefined,
      off: () => undefined,
      release: () => undefined,
    }),
  } as unknown as Pool;

  it('heartbeats all through a transaction that outlasts many heartbeat intervals', async () => {
    let heartbeats = 0;
    let committed: string | undefined;
    const batch: ConsumedBatch = {
      topic: 'telemetry.events',
      partition: 0,
      highWatermark: '1',
      records: [
        {
          offset: '0',
          key: Buffer.from('dev-1'),
          value: Buffer.from(
            JSON.stringify({
              event_id: '3f2b8c1e-9a4d-4c6e-8f00-1a2b3c4d5e6f',
              device_id: 'dev-1',
              site_id: 'site-1',
              zone_id: 'zone-1',
              sensor_type: 'co2',
              value: 600,
              ts_event: new Date(Date.now() - 60_000).toISOString(),
            }),
          ),
          headers: {},
          timestampMs: Date.now(),
        },
      ],
      heartbeat: async () => {
        heartbeats += 1;
      },
      isActive: () => true,
      pause: () => undefined,
      resume: () => undefined,
      commit: async (lastOffset) => {
        committed = lastOffset;
      },
    };
    const handler = createBatchHandler({
      pool: slowPool,
      dlqProducer: {} as MessageProducer, // no dead letter in this batch
      metrics: createProcessorMetrics(),
      logger: createLogger({ service: 'test', level: 'silent' }),
      group: 'g',
      dlqTopic: 'telemetry.events.dlq',
      windowSeconds: [300],
      rollupSeconds: [],
      rollupSourceSeconds: null,
      // The INSERT path: this object-literal database answers statements, not COPY streams.
      rawEvents: { write: insertRawEvents },
      lateness: { allowedLatenessMs: 120_000, horizonMs: 86_400_000, idleAfterMs: 30_000 },
      alerts: { apply: async () => ({ transitions: [], skippedOutOfOrder: 0 }) },
      maxFutureSkewMs: 600_000,
      retryBaseMs: 10,
      retryMaxMs: 10,
      pauseAfterMs: 60_000,
      failedBatchAttempts: 3,
      heartbeatEveryMs: HEARTBEAT_MS,
    });

    const started = Date.now();
    await handler.handle(batch);
    const tookMs = Date.now() - started;

    expect(committed).toBe('0');
    expect(tookMs).toBeGreaterThan(5 * HEARTBEAT_MS);
    // Before the fix: 0 (no retry, so no heartbeat until the batch was over).
    expect(heartbeats).toBeGreaterThanOrEqual(Math.floor(tookMs / HEARTBEAT_MS / 2));
  });
});

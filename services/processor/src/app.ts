import {
  databaseCheck,
  createOpsServer,
  migrate,
  once,
  type BatchConsumer,
  type ConsumerLagReader,
  type Logger,
  type MessageProducer,
  type PartitionLag,
  type Pool,
  type ReadinessReport,
} from '@telemetry-pulse/shared';
import { countOpenAlerts, createAlertStore } from './adapters/postgres/alerts';
import { advanceIdleWatermarks } from './adapters/postgres/consumer-offsets';
import { createRawEventWriter } from './adapters/postgres/raw-events';
import { finaliseWindows } from './adapters/postgres/window-aggregates';
import { createBatchHandler } from './batch-handler';
import { rollupSourceSeconds, type ProcessorConfig } from './config';
import type { AlertRule } from './domain/alerts';
import { idlePartitions, idleWatermarkMs } from './domain/watermark';
import type { ProcessorMetrics } from './metrics';
import { createNotificationDispatcher, type NotificationDispatcher } from './notification-dispatcher';
import type { NotificationsConfig } from './domain/notifications';
import type { ChannelResources } from './adapters/notifications/channels';
import { upkeepStorage, type UpkeepReport } from './storage-upkeep';

export interface ProcessorDeps {
  readonly config: ProcessorConfig;
  readonly logger: Logger;
  readonly pool: Pool;
  readonly consumer: BatchConsumer;
  readonly dlqProducer: MessageProducer;
  readonly metrics: ProcessorMetrics;
  readonly alertRules: readonly AlertRule[];
  /** Notification channels and what they need from outside their file; no dispatcher runs without them. */
  readonly notifications?: {
    readonly config: NotificationsConfig;
    readonly resources: ReadonlyMap<string, ChannelResources>;
  };
  /** Creates the events and dead-letter topics when missing. */
  readonly ensureTopics: () => Promise<void>;
  /** The group's lag from the broker, refreshed into the consumer-lag gauge by each maintenance pass. */
  readonly lagReader: ConsumerLagReader;
  readonly now?: () => number;
}

export interface Processor {
  /** Migrates, joins the group and serves the operations endpoints; resolves with their port. */
  start(): Promise<{ opsPort: number }>;
  /** Finishes the batches in flight, commits, leaves the group, then closes the rest. Idempotent. */
  stop(): Promise<void>;
  readiness(): Promise<ReadinessReport>;
  /**
   * One maintenance pass (idle watermarks of the drained partitions, window finalisation, and the gauges
   * read from Kafka and PostgreSQL: consumer lag and open alerts); also run on a timer. Rejects with the
   * first failure, after every part has had its go.
   */
  maintain(): Promise<void>;
  /**
   * One storage pass (partitions ahead, raw retention, window retention) if this member wins the leader
   * lock; run before the first batch and on the storage timer.
   */
  upkeepStorage(): Promise<UpkeepReport>;
}

export function createProcessor(deps: ProcessorDeps): Processor {
  const { config, logger, pool, consumer, metrics } = deps;
  const now = deps.now ?? Date.now;
  const log = logger.child({ component: 'processor' });
  const lateness = {
    allowedLatenessMs: config.allowedLatenessMs,
    horizonMs: config.lateHorizonMs,
    idleAfterMs: config.idleAfterMs,
  };
  const alerts = createAlertStore(deps.alertRules);
  const storagePolicy = {
    rawRetentionMs: config.rawRetentionMs,
    partitionMs: config.rawPartitionMs,
    partitionsAhead: config.partitionsAhead,
    windowSeconds: [...config.windows, ...config.rollups],
    windowRetentionMs: config.windowRetention,
    deadLetterRetentionMs: config.deadLetterRetentionMs,
    notificationRetentionMs: config.notificationRetentionMs,
  };
  const runUpkeep = (): Promise<UpkeepReport> =>
    upkeepStorage(pool, storagePolicy, now(), logger.child({ component: 'storage' }));
  const handler = createBatchHandler({
    pool,
    dlqProducer: deps.dlqProducer,
    metrics,
    logger: log,
    group: config.groupId,
    dlqTopic: config.dlqTopic,
    windowSeconds: config.windows,
    rollupSeconds: config.rollups,
    rollupSourceSeconds: rollupSourceSeconds(config.windows, config.rollups),
    lateness,
    alerts,
    rawEvents: createRawEventWriter({ onFallback: () => metrics.rawCopyFallbacks.inc() }),
    maxFutureSkewMs: config.maxFutureSkewMs,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    pauseAfterMs: config.pauseAfterMs,
    failedBatchAttempts: config.failedBatchAttempts,
    now,
  });

  async function readiness(): Promise<ReadinessReport> {
    const database = await databaseCheck(pool);
    const assignment = consumer.assignment();
    const partitions = assignment.flatMap((a) => a.partitions);
    // Only partitions still assigned here: one that moved to another member is that member's concern.
    const stuck = handler
      .stuckPartitions()
      .filter((s) => assignment.some((a) => a.topic === s.topic && a.partitions.includes(s.partition)));
    const checks = {
      database,
      broker: consumer.isMember()
        ? { ok: true }
        : { ok: false, detail: 'not a member of the consumer group' },
      partitions:
        partitions.length > 0
          ? { ok: true, detail: partitions.join(',') }
          : { ok: false, detail: 'no partition assigned' },
      failingPartitions:
        stuck.length === 0
          ? { ok: true }
          : {
              ok: false,
              detail: stuck
                .map(
                  (s) =>
                    `${s.topic}/${s.partition} at offset ${s.offset}: ${s.attempts} failed attempt(s) since ${new Date(s.sinceMs).toISOString()}: ${s.error}`,
                )
                .join('; '),
            },
    };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  async function maintain(): Promise<void> {
    // One read of the lag serves the gauge and the idle rule (only a drained partition is idle).
    const lags = deps.lagReader.read(config.groupId, config.topic);
    const results = await Promise.allSettled([
      maintainState(lags.catch(() => [])), // a failed read is reported once, by refreshLag
      refreshLag(lags),
      refreshOpenAlerts(),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async function refreshLag(lags: Promise<readonly PartitionLag[]>): Promise<void> {
    for (const p of await lags) {
      metrics.consumerLag.set({ partition: String(p.partition) }, p.lag);
    }
  }

  async function refreshOpenAlerts(): Promise<void> {
    for (const [severity, open] of Object.entries(await countOpenAlerts(pool))) {
      metrics.openAlerts.set({ severity }, open);
    }
  }

  async function maintainState(lags: Promise<readonly PartitionLag[]>): Promise<void> {
    const owned = consumer
      .assignment()
      .filter((a) => a.topic === config.topic)
      .flatMap((a) => a.partitions);
    await advanceIdleWatermarks(
      pool,
      config.groupId,
      config.topic,
      idlePartitions(owned, await lags),
      config.idleAfterMs,
      idleWatermarkMs(now(), lateness),
    );
    const finalised = await finaliseWindows(pool, config.groupId, config.topic, config.windowGraceMs);
    if (finalised > 0) metrics.windowsFinalised.inc(finalised);
  }

  const dispatcher: NotificationDispatcher | undefined =
    deps.notifications &&
    createNotificationDispatcher({
      pool,
      config: deps.notifications.config,
      resources: deps.notifications.resources,
      metrics,
      logger: log,
      now,
    });

  const ops = createOpsServer({
    host: config.host,
    port: config.port,
    logger,
    readiness,
    metrics: metrics.registry,
  });
  let timer: NodeJS.Timeout | undefined;
  let maintaining: Promise<void> = Promise.resolve();
  let storageTimer: NodeJS.Timeout | undefined;
  let upkeeping: Promise<unknown> = Promise.resolve();

  return {
    readiness,
    maintain,
    upkeepStorage: runUpkeep,
    async start() {
      await migrate(pool, log);
      // Before the first batch: the partitions for now and ahead exist however long the processor was down.
      await runUpkeep();
      await deps.ensureTopics();
      await deps.dlqProducer.connect();
      const opsPort = await ops.listen();
      await consumer.start(handler.handle);
      dispatcher?.start();
      timer = setInterval(() => {
        maintaining = maintain().catch((err: unknown) =>
          log.warn({ err }, 'maintenance pass failed; will retry'),
        );
      }, config.maintenanceIntervalMs);
      storageTimer = setInterval(() => {
        upkeeping = runUpkeep().catch((err: unknown) => log.warn({ err }, 'storage pass failed; will retry'));
      }, config.storageIntervalMs);
      log.info({ topic: config.topic, group: config.groupId, windows: config.windows }, 'processor started');
      return { opsPort };
    },
    stop: once(async () => {
      await ops.close();
      if (timer) clearInterval(timer);
      if (storageTimer) clearInterval(storageTimer);
      await consumer.stop();
      await dispatcher?.stop();
      await maintaining;
      await upkeeping;
      await deps.lagReader.close();
      await deps.dlqProducer.disconnect();
      await pool.end();
      log.info('processor stopped');
    }),
  };
}

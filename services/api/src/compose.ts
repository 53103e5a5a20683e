import {
  createKafkaClient,
  createKafkaProducer,
  createPool,
  exitOnKafkaFatal,
  type KafkaClientOptions,
  type Logger,
} from '@telemetry-pulse/shared';
import { serveDashboard, DASHBOARD_PUBLIC_DIR } from './adapters/http/static';
import { createIngestPublisher } from './adapters/kafka/ingest-publisher';
import { createKafkaTopicOffsets } from './adapters/kafka/topic-offsets';
import { createAlertStatsStore } from './adapters/postgres/alert-stats';
import { createAlertStore } from './adapters/postgres/alerts';
import { createCatalogStore } from './adapters/postgres/devices';
import { createNotificationStore } from './adapters/postgres/notifications';
import { createPipelineStore } from './adapters/postgres/pipeline';
import { createReadingsStore } from './adapters/postgres/readings';
import { createAggregatesStore } from './adapters/postgres/window-aggregates';
import { createApi, type Api } from './app';
import type { ApiConfig } from './config';
import { createApiMetrics } from './metrics';

/**
 * The database URL with a statement timeout for every API connection, so a slow query answers 503 rather
 * than piling up. It travels as the `options` startup parameter (set once per connection, no extra round
 * trip); 0 leaves the URL as it is, for poolers that refuse startup options.
 */
export function withStatementTimeout(url: string, timeoutMs: number): string {
  if (timeoutMs === 0) return url;
  const u = new URL(url);
  const setting = `-c statement_timeout=${timeoutMs}`;
  const existing = u.searchParams.get('options');
  u.searchParams.set('options', existing ? `${existing} ${setting}` : setting);
  return u.toString();
}

/** Wires the real PostgreSQL and Kafka adapters into the API (used by main.ts and the tests). */
export function composeApi(
  config: ApiConfig,
  logger: Logger,
  opts: { now?: () => number; onKafkaFatal?: KafkaClientOptions['onFatal'] } = {},
): Api {
  const pool = createPool({
    url: withStatementTimeout(config.databaseUrl, config.queryTimeoutMs),
    ca: config.databaseCa,
    caFile: config.databaseCaFile,
    max: config.databasePoolMax,
    applicationName: 'telemetry-api',
    logger,
  });
  const listenPool = createPool({
    url: config.databaseUrl,
    ca: config.databaseCa,
    caFile: config.databaseCaFile,
    max: 1,
    applicationName: 'telemetry-api-listen',
    logger,
  });
  const kafka = createKafkaClient(config.kafka, logger, {
    onFatal: opts.onKafkaFatal ?? exitOnKafkaFatal(logger),
  });
  return createApi({
    config,
    logger,
    pool,
    listenPool,
    stores: {
      catalog: createCatalogStore(pool),
      readings: createReadingsStore(pool),
      aggregates: createAggregatesStore(pool),
      alerts: createAlertStore(pool),
      alertStats: createAlertStatsStore(pool),
      pipeline: createPipelineStore(pool),
      notifications: createNotificationStore(pool),
    },
    topicOffsets: createKafkaTopicOffsets(kafka, logger, config.kafkaTimeoutMs),
    ingest: createIngestPublisher({
      // acks=all and idempotent: a reading answered as accepted is on every in-sync replica, once.
      producer: createKafkaProducer(kafka, { idempotent: true, compression: 'none' }),
      topic: config.topic,
      timeoutMs: config.ingestTimeoutMs,
      maxQueued: config.ingestMaxQueued,
      maxBatch: 10_000,
      logger,
    }),
    metrics: createApiMetrics(),
    dashboard: serveDashboard({ publicDir: DASHBOARD_PUBLIC_DIR }),
    ...(opts.now ? { now: opts.now } : {}),
  });
}

import {
  databaseCheck,
  migrate,
  once,
  type Logger,
  type Pool,
  type ReadinessReport,
} from '@telemetry-pulse/shared';
import Koa, { type Middleware } from 'koa';
import type { ApiConfig } from './config';
import { createRateLimiter } from './domain/rate-limit';
import type { ApiStores } from './domain/stores';
import { createAccessControl } from './adapters/http/access';
import { createDocs } from './adapters/http/docs';
import { corsFor, observeRequests, problemResponses, securityHeaders } from './adapters/http/middleware';
import { buildOpenApi } from './adapters/http/openapi';
import { allowedMethods, buildRouter, servedRoutes } from './adapters/http/router';
import { apiRoutes } from './adapters/http/routes';
import { createHttpServer } from './adapters/http/server';
import { createSseStreams } from './adapters/http/sse';
import type { IngestPublisher } from './adapters/kafka/ingest-publisher';
import type { KafkaTopicOffsets } from './adapters/kafka/topic-offsets';
import { createAlertNotifications } from './adapters/postgres/alert-notifications';
import { createLiveFeed } from './live-feed';
import type { ApiMetrics } from './metrics';

export interface ApiDeps {
  readonly config: ApiConfig;
  readonly logger: Logger;
  readonly pool: Pool;
  /** A pool of one connection, held by LISTEN for alert changes. */
  readonly listenPool: Pool;
  readonly stores: ApiStores;
  readonly topicOffsets: KafkaTopicOffsets;
  /** Publishes readings that arrive over HTTP to the processor's topic. */
  readonly ingest: IngestPublisher;
  readonly metrics: ApiMetrics;
  /** The dashboard's static files, served before the API routes. */
  readonly dashboard?: Middleware;
  readonly now?: () => number;
}

export interface Api {
  /** Migrates, starts the live feed and listens; resolves with the bound port. */
  start(): Promise<{ port: number }>;
  /** Stops accepting, ends live streams, lets requests finish, then closes the pools. Idempotent. */
  stop(): Promise<void>;
  readiness(): Promise<ReadinessReport>;
  /** Method and path template of every route the router serves. */
  routes(): { method: string; path: string }[];
  openApi(): Record<string, unknown>;
}

const OPENAPI_INFO = {
  title: 'TelemetryPulse API',
  version: '1.0.0',
  description:
    'Smart-building telemetry: sites, zones, devices, latest readings, aggregates, alerts, pipeline status and a live stream. Times are ISO-8601 UTC; errors are application/problem+json (RFC 9457); lists are keyset-paginated with an opaque cursor.',
};

/**
 * The API service: the koa app (security headers, metrics, problem documents, CORS, dashboard files, the
 * routed table), the live feed behind the stream, and their lifecycle. Collaborators come in as `deps`.
 */
export function createApi(deps: ApiDeps): Api {
  const { config, logger, pool, metrics } = deps;
  const now = deps.now ?? Date.now;
  const log = logger.child({ component: 'api' });

  const feed = createLiveFeed({
    readings: deps.stores.readings,
    alerts: deps.stores.alerts,
    logger,
    pollIntervalMs: config.ssePollMs,
  });
  const notifications = createAlertNotifications({
    pool: deps.listenPool,
    logger,
    onAlert: (id) => feed.alertChanged(id),
  });
  const sse = createSseStreams({
    hub: feed.hub,
    ready: () => feed.ready(),
    maxClients: config.sseMaxClients,
    maxBufferedBytes: config.sseMaxBufferBytes,
    heartbeatMs: config.sseHeartbeatMs,
    logger,
    onClients: (n) => metrics.sseClients.set(n),
    onRejected: () => metrics.sseRejected.inc(),
  });

  async function readiness(): Promise<ReadinessReport> {
    const database = await databaseCheck(pool);
    return { ready: database.ok, checks: { database } };
  }

  let openApiDoc: Record<string, unknown> | undefined;
  // Built on first request, from the very table the router is built from.
  const openApi = (): Record<string, unknown> => (openApiDoc ??= buildOpenApi(routes, OPENAPI_INFO));
  const routes = apiRoutes({
    config,
    stores: deps.stores,
    topicOffsets: deps.topicOffsets,
    logger,
    now,
    version: OPENAPI_INFO.version,
    ingest: {
      publisher: deps.ingest,
      limiter:
        config.ingestRateLimit > 0
          ? createRateLimiter({ ratePerSec: config.ingestRateLimit, burst: config.ingestRateBurst })
          : undefined,
      maxItems: config.ingestMaxItems,
      maxBytes: config.ingestMaxBytes,
      maxFutureSkewMs: config.maxFutureSkewMs,
      now,
      onLimited: () => metrics.rateLimited.inc(),
      onIngested: (accepted, rejected) => {
        if (accepted > 0) metrics.ingested.inc({ outcome: 'accepted' }, accepted);
        if (rejected > 0) metrics.ingested.inc({ outcome: 'rejected' }, rejected);
      },
    },
    sse,
    docs: createDocs(),
    readiness,
    metrics: metrics.registry,
    openApi,
  });
  const access = createAccessControl({
    keys: config.apiKeys,
    ingestKeys: config.ingestKeys,
    ingestAnonymous: config.ingestAnonymous,
    readAuth: config.readAuth,
    limiter:
      config.rateLimit > 0
        ? createRateLimiter({ ratePerSec: config.rateLimit, burst: config.rateBurst })
        : undefined,
    now,
    onLimited: () => metrics.rateLimited.inc(),
  });
  const router = buildRouter(routes, { access, bodyLimit: config.bodyLimit });

  // Each trusted proxy appends the address it received from, so the client is the entry that many hops
  // from the right; koa's default (no count) takes the left-most one, which the client itself can write.
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: config.trustProxyHops });
  // Koa reports errors it could not answer (mostly clients that left mid-response) here, not as requests.
  app.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET')
      log.debug({ err }, 'client went away');
    else log.warn({ err }, 'response failed');
  });
  app.use(securityHeaders());
  app.use(observeRequests(metrics, logger));
  app.use(problemResponses(logger));
  const cors = corsFor(config.corsOrigins);
  if (cors) app.use(cors);
  if (deps.dashboard) app.use(deps.dashboard);
  app.use(router.routes());
  app.use(allowedMethods(router));

  const server = createHttpServer(app.callback(), { requestTimeoutMs: config.requestTimeoutMs });

  return {
    readiness,
    routes: () => servedRoutes(router),
    openApi,
    async start() {
      await migrate(pool, log);
      if (config.apiKeys.length === 0)
        log.warn('API_KEYS is empty: acknowledging and resolving alerts is disabled');
      await notifications.start();
      feed.start();
      deps.ingest.start();
      const port = await server.listen(config.port, config.host);
      log.info({ host: config.host, port }, 'api listening');
      return { port };
    },
    stop: once(async () => {
      sse.closeAll(); // streams never finish on their own
      await server.close(Math.min(5_000, config.shutdownTimeoutMs / 2));
      await deps.ingest.stop();
      await feed.stop();
      await notifications.stop();
      await deps.topicOffsets.close();
      await deps.listenPool.end();
      await pool.end();
      log.info('api stopped');
    }),
  };
}

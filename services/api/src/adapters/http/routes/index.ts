import type { Logger, MetricsSource, ReadinessReport } from '@telemetry-pulse/shared';
import type { ApiConfig } from '../../../config';
import type { ApiStores, TopicOffsets } from '../../../domain/stores';
import type { createDocs } from '../docs';
import type { Route } from '../route';
import type { SseStreams } from '../sse';
import { aggregatesRoutes } from './aggregates';
import { alertStatsRoutes } from './alert-stats';
import { alertRoutes } from './alerts';
import { catalogRoutes } from './catalog';
import { compatRoutes } from './compat';
import { ingestRoutes, type IngestRouteDeps } from './ingest';
import { metaRoutes } from './meta';
import { notificationRoutes } from './notifications';
import { pipelineRoutes } from './pipeline';
import { readingsRoutes } from './readings';

/** The whole route table, in the order the OpenAPI document lists it. */
export function apiRoutes(deps: {
  config: ApiConfig;
  stores: ApiStores;
  topicOffsets: TopicOffsets;
  logger: Logger;
  now: () => number;
  version: string;
  ingest: IngestRouteDeps;
  sse: SseStreams;
  docs: ReturnType<typeof createDocs>;
  readiness: () => Promise<ReadinessReport>;
  metrics: MetricsSource;
  openApi: () => Record<string, unknown>;
}): Route[] {
  const { stores, config, now } = deps;
  return [
    ...catalogRoutes({ catalog: stores.catalog, silentAfterMs: config.silentAfterMs }),
    ...readingsRoutes({ readings: stores.readings }),
    ...aggregatesRoutes({ aggregates: stores.aggregates, now }),
    ...alertRoutes({ alerts: stores.alerts }),
    ...alertStatsRoutes({ alertStats: stores.alertStats, now }),
    ...notificationRoutes({ notifications: stores.notifications }),
    ...pipelineRoutes({
      pipeline: stores.pipeline,
      offsets: deps.topicOffsets,
      topic: config.topic,
      group: config.groupId,
      stallAfterMs: config.stallAfterMs,
      logger: deps.logger,
      now,
    }),
    ...ingestRoutes(deps.ingest),
    ...compatRoutes({
      readings: stores.readings,
      aggregates: stores.aggregates,
      alerts: stores.alerts,
      catalog: stores.catalog,
      version: deps.version,
      ready: async () => (await deps.readiness()).ready,
      now,
    }),
    ...metaRoutes(deps),
  ];
}

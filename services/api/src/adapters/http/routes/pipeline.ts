import type { Logger } from '@telemetry-pulse/shared';
import { consumerLag } from '@telemetry-pulse/shared/core';
import { z } from 'zod';
import { pipelineStatusSchema } from '../../../contract/pipeline';
import type { PipelineStore, TopicOffsets } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';

/** Pipeline health at a glance: volumes, dead letters, lateness and the processor's consumer lag. */
export function pipelineRoutes(deps: {
  pipeline: PipelineStore;
  offsets: TopicOffsets;
  topic: string;
  group: string;
  logger: Logger;
  now: () => number;
}): Route[] {
  const log = deps.logger.child({ component: 'pipeline-status' });
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/pipeline/status',
      operationId: 'pipelineStatus',
      summary: 'Events ingested, dead letters, late events and consumer lag',
      description:
        "Lag is the broker's high watermark minus the next offset the processor's group has applied (stored with its effects in PostgreSQL, so it is exact even between Kafka commits). When Kafka does not answer, the status still answers, with total_lag null and lag_error set.",
      tag: 'pipeline',
      auth: 'read',
      query: z.strictObject({}),
      response: pipelineStatusSchema,
      responseDescription: 'Current figures.',
      async handler() {
        const [counts, applied, high] = await Promise.all([
          deps.pipeline.counts(),
          deps.pipeline.appliedOffsets(deps.group, deps.topic),
          deps.offsets.highWatermarks(deps.topic).then(
            (h) => ({ ok: true as const, h }),
            (err: unknown) => ({ ok: false as const, err }),
          ),
        ]);
        if (!high.ok) log.warn({ err: high.err }, 'consumer lag unavailable');
        const lag = high.ok ? consumerLag(high.h, applied) : [];
        return {
          ...counts,
          consumer_lag: lag,
          total_lag: high.ok ? lag.reduce((sum, p) => sum + p.lag, 0) : null,
          lag_error: high.ok ? null : high.err instanceof Error ? high.err.message : String(high.err),
          checked_at: new Date(deps.now()).toISOString(),
        };
      },
    }),
  ];
}

import type { Logger } from '@telemetry-pulse/shared';
import { consumerLag } from '@telemetry-pulse/shared/core';
import { z } from 'zod';
import { pipelineStatusSchema } from '../../../contract/pipeline';
import { assessPipeline, createNeverAppliedWaits } from '../../../domain/pipeline-health';
import type { PipelineStore, TopicOffsets } from '../../../domain/stores';
import { jsonRoute, type Route } from '../route';

/** Pipeline health at a glance: volumes, dead letters, lateness and the processor's consumer lag. */
export function pipelineRoutes(deps: {
  pipeline: PipelineStore;
  offsets: TopicOffsets;
  topic: string;
  group: string;
  stallAfterMs: number;
  logger: Logger;
  now: () => number;
}): Route[] {
  const log = deps.logger.child({ component: 'pipeline-status' });
  const neverApplied = createNeverAppliedWaits();
  return [
    jsonRoute({
      method: 'GET',
      path: '/api/v1/pipeline/status',
      operationId: 'pipelineStatus',
      summary: 'Events ingested, dead letters, late events, consumer lag and whether data flows',
      description:
        "Lag is the broker's high watermark minus the next offset the processor's group has applied (stored with its effects in PostgreSQL, so it is exact even between Kafka commits). A partition is stalled when records wait on it and the group has applied nothing there for stall_after_seconds (API_PIPELINE_STALL_AFTER); a partition never applied is dated from when this instance first saw records waiting on it. When Kafka does not answer, the status still answers, with total_lag null and lag_error set.",
      tag: 'pipeline',
      auth: 'read',
      query: z.strictObject({}),
      response: pipelineStatusSchema,
      responseDescription: 'Current figures.',
      async handler() {
        const [counts, progress, high] = await Promise.all([
          deps.pipeline.counts(),
          deps.pipeline.progress(deps.group, deps.topic),
          deps.offsets.highWatermarks(deps.topic).then(
            (h) => ({ ok: true as const, h }),
            (err: unknown) => ({ ok: false as const, err }),
          ),
        ]);
        if (!high.ok) log.warn({ err: high.err }, 'consumer lag unavailable');
        const nowMs = deps.now();
        const applied = new Map(progress.map((p) => [p.partition, p]));
        const lag = high.ok
          ? consumerLag(high.h, new Map(progress.map((p) => [p.partition, p.nextOffset]))).map((p) => {
              const row = applied.get(p.partition);
              if (row) neverApplied.forget(p.partition);
              const idleMs = row ? row.idleMs : neverApplied.waitedMs(p.partition, p.lag, nowMs);
              return { ...p, idleMs };
            })
          : undefined;
        const last = progress.reduce<(typeof progress)[number] | undefined>(
          (newest, p) => (newest === undefined || p.idleMs < newest.idleMs ? p : newest),
          undefined,
        );
        const assessment = assessPipeline({
          partitions: lag,
          lastAppliedIdleMs: last?.idleMs,
          stallAfterMs: deps.stallAfterMs,
        });
        return {
          ...counts,
          consumer_lag: (lag ?? []).map((p) => ({
            partition: p.partition,
            lag: p.lag,
            // Only a progress row dates the partition's last batch; a remembered wait is not one.
            idle_seconds:
              applied.has(p.partition) && p.idleMs !== undefined ? Math.round(p.idleMs / 1000) : null,
          })),
          total_lag: lag ? lag.reduce((sum, p) => sum + p.lag, 0) : null,
          lag_error: high.ok ? null : high.err instanceof Error ? high.err.message : String(high.err),
          last_applied_at: last?.appliedAt ?? null,
          state: assessment.state,
          stalled_partitions: assessment.stalledPartitions,
          stall_after_seconds: deps.stallAfterMs / 1000,
          checked_at: new Date(nowMs).toISOString(),
        };
      },
    }),
  ];
}

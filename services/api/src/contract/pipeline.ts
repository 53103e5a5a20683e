import { z } from 'zod';
import { instant } from './common';

export const pipelineStatusSchema = z
  .object({
    events_ingested: z.number().int().describe('Readings stored (raw rows).'),
    events_last_minute: z.number().int().describe('Readings stored in the last minute (wall clock).'),
    dead_letters: z.number().int().describe('Poison messages recorded.'),
    dead_letters_last_hour: z
      .number()
      .int()
      .describe('Poison messages recorded in the last hour (wall clock).'),
    late_events: z
      .number()
      .int()
      .describe('Readings that arrived behind the watermark and revised a window.'),
    too_late_events: z.number().int().describe('Readings beyond the late horizon: stored, not aggregated.'),
    consumer_lag: z
      .array(
        z.object({
          partition: z.number().int(),
          lag: z.number().int(),
          idle_seconds: z
            .number()
            .nullable()
            .describe(
              'Seconds since the group last applied a batch on this partition; null when it never has.',
            ),
        }),
      )
      .describe("Records on the topic not yet applied by the processor's group, per partition."),
    total_lag: z.number().int().nullable().describe('Sum of the lags; null when Kafka did not answer.'),
    lag_error: z.string().nullable().describe('Why the lag is unknown, when it is.'),
    last_applied_at: z.iso
      .datetime()
      .nullable()
      .describe(
        "When the processor's group last applied a batch (readings or dead letters); null when never.",
      ),
    state: z
      .enum(['flowing', 'stalled', 'idle', 'unknown'])
      .describe(
        'flowing: a batch was applied within stall_after_seconds; stalled: records wait on a partition where nothing was applied for that long; idle: nothing applied for that long and nothing waiting; unknown: nothing applied for that long and the lag is unknown.',
      ),
    stalled_partitions: z
      .array(z.number().int())
      .describe('Partitions with records waiting and nothing applied for stall_after_seconds.'),
    stall_after_seconds: z.number().describe('The stall threshold (API_PIPELINE_STALL_AFTER).'),
    checked_at: instant('When these figures were read.'),
  })
  .meta({ id: 'PipelineStatus' });

export type PipelineStatus = z.infer<typeof pipelineStatusSchema>;
export type PipelineCounts = Pick<
  PipelineStatus,
  | 'events_ingested'
  | 'events_last_minute'
  | 'dead_letters'
  | 'dead_letters_last_hour'
  | 'late_events'
  | 'too_late_events'
>;

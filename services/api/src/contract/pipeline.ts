import { z } from 'zod';
import { instant } from './common';

export const pipelineStatusSchema = z
  .object({
    events_ingested: z.number().int().describe('Readings stored (raw rows).'),
    events_last_minute: z.number().int().describe('Readings stored in the last minute (wall clock).'),
    dead_letters: z.number().int().describe('Poison messages recorded.'),
    late_events: z
      .number()
      .int()
      .describe('Readings that arrived behind the watermark and revised a window.'),
    too_late_events: z.number().int().describe('Readings beyond the late horizon: stored, not aggregated.'),
    consumer_lag: z
      .array(z.object({ partition: z.number().int(), lag: z.number().int() }))
      .describe("Records on the topic not yet applied by the processor's group, per partition."),
    total_lag: z.number().int().nullable().describe('Sum of the lags; null when Kafka did not answer.'),
    lag_error: z.string().nullable().describe('Why the lag is unknown, when it is.'),
    checked_at: instant('When these figures were read.'),
  })
  .meta({ id: 'PipelineStatus' });

export type PipelineStatus = z.infer<typeof pipelineStatusSchema>;
export type PipelineCounts = Omit<PipelineStatus, 'consumer_lag' | 'total_lag' | 'lag_error' | 'checked_at'>;

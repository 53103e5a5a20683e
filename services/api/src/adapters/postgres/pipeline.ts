import type { Pool } from '@telemetry-pulse/shared';
import type { PipelineStore } from '../../domain/stores';

/**
 * Pipeline figures from the processor's tables. Each is cheap at any volume: the stored count comes from
 * raw_event_counts (kept by a statement-level trigger, migration 004), the last minute from the BRIN index
 * on ingested_at, and the late counts from the partial index on non-on-time rows.
 */
export function createPipelineStore(pool: Pool): PipelineStore {
  return {
    async counts() {
      const { rows } = await pool.query<{
        events_ingested: number;
        events_last_minute: number;
        dead_letters: number;
        late_events: number;
        too_late_events: number;
      }>(
        `SELECT (SELECT coalesce(sum(events), 0)::bigint FROM raw_event_counts) AS events_ingested,
                (SELECT count(*) FROM raw_events WHERE ingested_at > now() - interval '1 minute') AS events_last_minute,
                (SELECT count(*) FROM dead_letters) AS dead_letters,
                (SELECT count(*) FROM raw_events WHERE lateness = 'late') AS late_events,
                (SELECT count(*) FROM raw_events WHERE lateness = 'too_late') AS too_late_events`,
      );
      const row = rows[0];
      if (!row) throw new Error('pipeline counts query returned no row');
      return row;
    },

    async appliedOffsets(group, topic) {
      const { rows } = await pool.query<{ partition: number; next_offset: number }>(
        `SELECT partition, next_offset FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2`,
        [group, topic],
      );
      return new Map(rows.map((r) => [r.partition, r.next_offset]));
    },
  };
}

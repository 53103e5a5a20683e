import type { Pool } from '@telemetry-pulse/shared';
import type { PipelineStore } from '../../domain/stores';
import { iso } from './rows';

/**
 * Pipeline figures from the processor's tables. Each is cheap at any volume: the stored count comes from
 * raw_event_counts (kept by a statement-level trigger, migration 004), the last minute from the BRIN index
 * on ingested_at, the dead letters of the last hour from the index on created_at, and the late counts
 * from the partial index on non-on-time rows.
 */
export function createPipelineStore(pool: Pool): PipelineStore {
  return {
    async counts() {
      const { rows } = await pool.query<{
        events_ingested: number;
        events_last_minute: number;
        dead_letters: number;
        dead_letters_last_hour: number;
        late_events: number;
        too_late_events: number;
      }>(
        `SELECT (SELECT coalesce(sum(events), 0)::bigint FROM raw_event_counts) AS events_ingested,
                (SELECT count(*) FROM raw_events WHERE ingested_at > now() - interval '1 minute') AS events_last_minute,
                (SELECT count(*) FROM dead_letters) AS dead_letters,
                (SELECT count(*) FROM dead_letters WHERE created_at > now() - interval '1 hour') AS dead_letters_last_hour,
                (SELECT count(*) FROM raw_events WHERE lateness = 'late') AS late_events,
                (SELECT count(*) FROM raw_events WHERE lateness = 'too_late') AS too_late_events`,
      );
      const row = rows[0];
      if (!row) throw new Error('pipeline counts query returned no row');
      return row;
    },

    async progress(group, topic) {
      // The age by the database's own clock, so a skewed API host cannot make a partition look stalled.
      const { rows } = await pool.query<{
        partition: number;
        next_offset: number;
        updated_at: Date;
        idle_ms: number;
      }>(
        `SELECT partition, next_offset, updated_at,
                (extract(epoch FROM clock_timestamp() - updated_at) * 1000)::float8 AS idle_ms
           FROM consumer_offsets
          WHERE consumer_group = $1 AND topic = $2 AND next_offset >= 0`,
        [group, topic],
      );
      return rows.map((r) => ({
        partition: r.partition,
        nextOffset: r.next_offset,
        appliedAt: iso(r.updated_at),
        idleMs: Math.max(0, r.idle_ms),
      }));
    },
  };
}

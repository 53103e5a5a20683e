import { namedStatement, type Pool, type PoolClient } from '@telemetry-pulse/shared';
import type { PartitionClock } from '../../domain/watermark';

const SAVE_PROGRESS = namedStatement(
  'save_consumer_progress',
  `UPDATE consumer_offsets SET next_offset = $4, watermark_ms = $5, max_event_ms = $6, updated_at = now()
      WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
);

export interface PartitionProgress {
  /** Offset of the first record not yet applied; null when nothing was ever applied. */
  readonly nextOffset: string | null;
  readonly clock: PartitionClock;
  /**
   * Where raw readings are kept from (epoch ms; -Infinity before any retention pass): read in the same
   * statement, in the batch's transaction. A retention pass commits the horizon before it drops a
   * partition, so a batch filters the readings a drop is about to take away (one racing it lands in the
   * default partition).
   */
  readonly rawHorizonMs: number;
}

interface ProgressRow {
  next_offset: number;
  watermark_ms: number | null;
  max_event_ms: number | null;
  raw_horizon_ms: number | null;
}

const LOCK_PROGRESS = namedStatement(
  'lock_consumer_progress',
  `
  SELECT next_offset, watermark_ms, max_event_ms,
         (SELECT extract(epoch FROM kept_from)::float8 * 1000 FROM storage_horizons WHERE tier = 'raw')
           AS raw_horizon_ms
    FROM consumer_offsets
   WHERE consumer_group = $1 AND topic = $2 AND partition = $3
     FOR UPDATE OF consumer_offsets`,
);

/**
 * Locks and reads the partition's progress row, creating it on the partition's first batch. The lock
 * serialises two processors that briefly both hold the partition during a rebalance: the second sees the
 * first one's offset and skips its records. One round trip once the row exists (every batch but the
 * first): a batch's statements are its fixed cost.
 */
export async function lockProgress(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
): Promise<PartitionProgress> {
  const key = [group, topic, partition];
  let row = (await client.query<ProgressRow>(LOCK_PROGRESS(key))).rows[0];
  if (row === undefined) {
    await client.query(
      `INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, -1)
       ON CONFLICT DO NOTHING`,
      key,
    );
    row = (await client.query<ProgressRow>(LOCK_PROGRESS(key))).rows[0];
  }
  return {
    nextOffset: row && row.next_offset >= 0 ? String(row.next_offset) : null,
    clock: { watermarkMs: row?.watermark_ms ?? null, maxEventMs: row?.max_event_ms ?? null },
    rawHorizonMs: row?.raw_horizon_ms ?? Number.NEGATIVE_INFINITY,
  };
}

export async function saveProgress(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
  nextOffset: string,
  clock: PartitionClock,
): Promise<void> {
  await client.query(
    SAVE_PROGRESS([group, topic, partition, nextOffset, clock.watermarkMs, clock.maxEventMs]),
  );
}

/**
 * Lets idle partitions' watermarks follow the wall clock (see idleWatermarkMs), so that windows close
 * while a partition carries no traffic. `partitions` are the caught-up ones this member owns (see
 * idlePartitions); of those, only the ones whose last batch committed more than `idleAfterMs` ago move.
 */
export async function advanceIdleWatermarks(
  pool: Pool,
  group: string,
  topic: string,
  partitions: readonly number[],
  idleAfterMs: number,
  watermarkMs: number,
): Promise<number> {
  if (partitions.length === 0) return 0;
  const { rowCount } = await pool.query(
    `UPDATE consumer_offsets SET watermark_ms = $5
      WHERE consumer_group = $1 AND topic = $2 AND partition = ANY($3::int[])
        AND updated_at < now() - make_interval(secs => $4::float8 / 1000)
        AND (watermark_ms IS NULL OR watermark_ms < $5)`,
    [group, topic, partitions, idleAfterMs, watermarkMs],
  );
  return rowCount ?? 0;
}

import type { Pool, PoolClient } from '@telemetry-pulse/shared';
import type { RejectedRecord } from '../../domain/plan-batch';

export interface DeadLetterRow {
  readonly offset: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestampMs: number;
  readonly attempts: number;
}

/** Records poison messages in the batch transaction; a row already recorded (redelivery) is kept as is. */
export async function recordDeadLetters(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
  rejected: readonly RejectedRecord[],
  attempts: number,
): Promise<void> {
  if (rejected.length === 0) return;
  await client.query(
    `INSERT INTO dead_letters (consumer_group, topic, partition, "offset", error_code, error_message,
                               message_key, message_value, message_timestamp, attempts)
     SELECT $1, $2, $3, t.off, t.code, t.msg, t.k, t.v, to_timestamp(t.ts / 1000.0), $4
       FROM unnest($5::bigint[], $6::text[], $7::text[], $8::bytea[], $9::bytea[], $10::float8[])
            AS t(off, code, msg, k, v, ts)
     ON CONFLICT DO NOTHING`,
    [
      group,
      topic,
      partition,
      attempts,
      rejected.map((r) => r.record.offset),
      rejected.map((r) => r.code),
      rejected.map((r) => r.reason.slice(0, 2000)),
      rejected.map((r) => r.record.key),
      rejected.map((r) => r.record.value),
      rejected.map((r) => r.record.timestampMs),
    ],
  );
}

/**
 * Moves a partition's dead letters to dead_letters_superseded, when its log was recreated or truncated:
 * their offsets belong to the old log, and the new log's poison messages will reuse them. Returns how many
 * rows moved.
 */
export async function supersedeDeadLetters(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
): Promise<number> {
  const { rowCount } = await client.query(
    `WITH moved AS (
       DELETE FROM dead_letters WHERE consumer_group = $1 AND topic = $2 AND partition = $3 RETURNING *
     )
     INSERT INTO dead_letters_superseded SELECT * FROM moved`,
    [group, topic, partition],
  );
  return rowCount ?? 0;
}

/** Dead letters of a partition not yet acknowledged by the dead-letter topic, up to an offset. */
export async function unpublishedDeadLetters(
  pool: Pool,
  group: string,
  topic: string,
  partition: number,
  upToOffset: string,
): Promise<DeadLetterRow[]> {
  const { rows } = await pool.query<{
    offset: number;
    error_code: string;
    error_message: string;
    message_key: Buffer | null;
    message_value: Buffer | null;
    ts_ms: number;
    attempts: number;
  }>(
    `SELECT "offset", error_code, error_message, message_key, message_value,
            (extract(epoch FROM message_timestamp) * 1000)::bigint AS ts_ms, attempts
       FROM dead_letters
      WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND published_at IS NULL AND "offset" <= $4
      ORDER BY "offset"`,
    [group, topic, partition, upToOffset],
  );
  return rows.map((r) => ({
    offset: String(r.offset),
    errorCode: r.error_code,
    errorMessage: r.error_message,
    key: r.message_key,
    value: r.message_value,
    timestampMs: r.ts_ms,
    attempts: r.attempts,
  }));
}

export async function markDeadLettersPublished(
  pool: Pool,
  group: string,
  topic: string,
  partition: number,
  offsets: readonly string[],
): Promise<void> {
  if (offsets.length === 0) return;
  await pool.query(
    `UPDATE dead_letters SET published_at = now()
      WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND "offset" = ANY($4::bigint[])`,
    [group, topic, partition, offsets],
  );
}

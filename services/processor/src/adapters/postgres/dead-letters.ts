import type { Pool, PoolClient } from '@telemetry-pulse/shared';
import { storableText } from '@telemetry-pulse/shared/core';
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

/**
 * Records poison messages in the batch transaction; a row already recorded (redelivery) is kept as is.
 * The error text is made storable (NUL and lone surrogates escaped): it may quote the message's bytes,
 * and one refused row would refuse the whole batch, forever. Key and value are stored as bytes.
 */
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
      rejected.map((r) => storableText(r.reason.slice(0, 2000))),
      rejected.map((r) => r.record.key),
      rejected.map((r) => r.record.value),
      rejected.map((r) => r.record.timestampMs),
    ],
  );
}

// Named, not `*`: the two tables gained columns in different orders (superseded_at came before publish_error).
const COLUMNS = `consumer_group, topic, partition, "offset", error_code, error_message, message_key, message_value,
  message_timestamp, attempts, created_at, published_at, publish_error`;

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
     INSERT INTO dead_letters_superseded (${COLUMNS}) SELECT ${COLUMNS} FROM moved`,
    [group, topic, partition],
  );
  return rowCount ?? 0;
}

/**
 * Dead letters of a partition not yet acknowledged by the dead-letter topic, up to an offset; the ones it
 * refused are not asked for again.
 */
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
      WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND published_at IS NULL
        AND publish_error IS NULL AND "offset" <= $4
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

/**
 * Keeps the dead-letter topic's refusal of a dead letter (too large for it, an invalid record) with the row,
 * so the partition can move on: the bytes stay here and the row says why they are not on the topic.
 */
export async function markDeadLetterRefused(
  pool: Pool,
  group: string,
  topic: string,
  partition: number,
  offset: string,
  error: string,
): Promise<void> {
  await pool.query(
    `UPDATE dead_letters SET publish_error = $5
      WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND "offset" = $4`,
    [group, topic, partition, offset, storableText(error.slice(0, 2000))],
  );
}

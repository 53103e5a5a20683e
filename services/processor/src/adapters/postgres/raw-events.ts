import { from as copyFrom } from 'pg-copy-streams';
import { withDatabaseSpan, type PoolClient } from '@telemetry-pulse/shared';
import type { AcceptedReading } from '../../domain/plan-batch';
import { numberArray, textArray } from './array-literal';
import { BinaryCopyWriter } from './copy-binary';

/** How a batch's raw rows went in: one COPY, or the INSERT that skips ids already stored. */
export type RawWritePath = 'copy' | 'insert';

/** The ids a write inserted: 'all' of the readings (nearly every batch), or those of the set. */
export type InsertedIds = 'all' | ReadonlySet<string>;

export interface RawEventWriter {
  /**
   * Stores a batch's readings inside the caller's transaction; an event id already stored is skipped (the
   * key holds the event time too, which every repeat of an id carries unchanged: migration 009).
   * Returns the ids actually inserted ('all', or a set of them): only those may change aggregates and alerts.
   *
   * With `path` 'copy' (the default) the readings go in with one COPY unless a recent batch met a stored
   * id. When the COPY meets one, PostgreSQL aborts the caller's transaction and this throws
   * {@link StoredIdInCopy}: roll back and apply the batch again with `path` 'insert'.
   */
  write(client: PoolClient, readings: readonly AcceptedReading[], path?: RawWritePath): Promise<InsertedIds>;
}

/** A batch's COPY met an event id already stored; its transaction is aborted (see {@link RawEventWriter}). */
export class StoredIdInCopy extends Error {
  constructor(cause: unknown) {
    super('COPY raw_events met an event id already stored; apply the batch again with the INSERT', {
      cause,
    });
    this.name = 'StoredIdInCopy';
  }
}

export interface RawEventWriterOptions {
  /** After a COPY hit a stored id, this many batches go straight to the INSERT before COPY is tried again. */
  readonly insertBatchesAfterDuplicate?: number;
  /** Told each time a batch fell back from COPY to the INSERT (a metric). */
  readonly onFallback?: () => void;
}

const UNIQUE_VIOLATION = '23505';
const COLUMNS =
  'event_id, device_id, site_id, zone_id, sensor_type, value, unit, ts_event, kafka_partition, kafka_offset, lateness';

/**
 * COPY first, INSERT ... ON CONFLICT when it must. Almost every batch holds only new readings (replays of
 * applied offsets are skipped by offset before this), and a COPY stores them for about half the database's
 * CPU of an INSERT ... ON CONFLICT, whose speculative insertion probes the key before every row and whose
 * unnest() parses eleven array literals. A repeated id (a producer that re-sent, a new consumer group
 * replaying the topic) makes the COPY fail on the key, and the batch is applied again with the INSERT,
 * which skips the ids already there. (No savepoint around the COPY: two statements and a subtransaction
 * per batch cost more than redoing the rare batch that needs it.) A run of such batches is expected to go
 * on, so the next ones go straight to the INSERT for a while instead of paying for a failed COPY each time.
 */
export function createRawEventWriter(options: RawEventWriterOptions = {}): RawEventWriter {
  const insertBatches = options.insertBatchesAfterDuplicate ?? 8;
  let insertOnlyLeft = 0;
  return {
    async write(client, readings, path = 'copy') {
      if (readings.length === 0) return 'all';
      if (path === 'insert') return insertRawEvents(client, readings);
      if (insertOnlyLeft > 0) {
        insertOnlyLeft -= 1;
        return insertRawEvents(client, readings);
      }
      try {
        await copyRawEvents(client, readings);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        insertOnlyLeft = insertBatches;
        options.onFallback?.();
        throw new StoredIdInCopy(err);
      }
      return 'all';
    },
  };
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/** One binary COPY of the whole batch; fails as a whole on a key already stored. */
export async function copyRawEvents(client: PoolClient, readings: readonly AcceptedReading[]): Promise<void> {
  const payload = copyRows(readings);
  const statement = `COPY raw_events (${COLUMNS}) FROM STDIN WITH (FORMAT binary)`;
  await withDatabaseSpan(
    { operation: 'COPY', collection: 'raw_events', text: statement },
    client,
    () =>
      new Promise<void>((resolve, reject) => {
        const stream = client.query(copyFrom(statement));
        stream.on('error', reject);
        stream.on('finish', resolve);
        stream.end(payload);
      }),
  );
}

/** A row's bytes but for its strings' (11 length words, uuid, float8, timestamptz, int4, int8); a string takes <= 3 bytes per UTF-16 unit. */
const FIXED_ROW_BYTES = 11 * 4 + 16 + 8 + 8 + 4 + 8;

/** The readings as PostgreSQL's binary COPY format, fields in the order of {@link COLUMNS}. */
export function copyRows(readings: readonly AcceptedReading[]): Buffer {
  const out = new BinaryCopyWriter(11, readings.length * 160);
  for (const r of readings) {
    const units =
      r.deviceId.length +
      r.siteId.length +
      r.zoneId.length +
      r.sensorType.length +
      (r.unit?.length ?? 0) +
      r.lateness.length;
    out
      .row(FIXED_ROW_BYTES + 3 * units)
      .uuid(r.eventId)
      .text(r.deviceId)
      .text(r.siteId)
      .text(r.zoneId)
      .text(r.sensorType)
      .float8(r.value)
      .text(r.unit)
      // Whole milliseconds, as the INSERT's to_timestamp(ms / 1000.0) stores them: the same key either way.
      .timestamptzMs(r.tsEventMs)
      .int4(r.partition)
      // Offsets as numbers: exact below 2^53, which a partition would need centuries to reach.
      .int8(Number(r.offset))
      .text(r.lateness);
  }
  return out.finish();
}

/**
 * Bulk-inserts readings with one UNNEST statement, skipping ids already stored. Every reading of a batch is
 * new but for a redelivered or replayed one, so the statement answers one row: NULL when all were inserted,
 * else the ids that were (sending 4,000 ids back per batch cost the processor and the server more than the
 * answer is worth).
 */
export async function insertRawEvents(
  client: PoolClient,
  batch: readonly AcceptedReading[],
): Promise<InsertedIds> {
  if (batch.length === 0) return 'all';
  // In key order: two transactions inserting the same ids take their index locks in the same order, so
  // they wait for each other instead of deadlocking.
  const readings = [...batch].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const { rows } = await client.query<{ inserted: string[] | null }>(
    `WITH ins AS (
       INSERT INTO raw_events (${COLUMNS})
       SELECT t.event_id, t.device_id, t.site_id, t.zone_id, t.sensor_type, t.value, t.unit,
              to_timestamp(t.ts_ms / 1000.0), t.kafka_partition, t.kafka_offset, t.lateness
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[],
                     $8::float8[], $9::int[], $10::bigint[], $11::text[])
              AS t(event_id, device_id, site_id, zone_id, sensor_type, value, unit, ts_ms, kafka_partition,
                   kafka_offset, lateness)
       ON CONFLICT (ts_event, event_id) DO NOTHING
       RETURNING event_id)
     SELECT CASE WHEN count(*) = $12 THEN NULL ELSE coalesce(array_agg(event_id::text), '{}') END AS inserted
       FROM ins`,
    [
      textArray(readings, (r) => r.eventId),
      textArray(readings, (r) => r.deviceId),
      textArray(readings, (r) => r.siteId),
      textArray(readings, (r) => r.zoneId),
      textArray(readings, (r) => r.sensorType),
      numberArray(readings, (r) => r.value),
      textArray(readings, (r) => r.unit),
      numberArray(readings, (r) => r.tsEventMs),
      numberArray(readings, (r) => r.partition),
      textArray(readings, (r) => r.offset),
      textArray(readings, (r) => r.lateness),
      readings.length,
    ],
  );
  const inserted = rows[0]?.inserted;
  return inserted === null || inserted === undefined ? 'all' : new Set(inserted);
}

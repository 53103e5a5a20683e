import type { PoolClient } from '@telemetry-pulse/shared';
import type { AcceptedReading } from '../../domain/plan-batch';
import { numberArray, textArray } from './array-literal';

/**
 * Bulk-inserts readings with one UNNEST statement; an event id already stored is skipped (the key holds
 * the event time too, which every repeat of an id carries unchanged: migration 009).
 * Returns the ids actually inserted: only those may change aggregates and alerts.
 */
export async function insertRawEvents(
  client: PoolClient,
  readings: readonly AcceptedReading[],
): Promise<Set<string>> {
  if (readings.length === 0) return new Set();
  // Every reading of a batch is new but for a redelivered or replayed one, so the statement answers one row:
  // NULL when all were inserted, else the ids that were (sending 4,000 ids back per batch cost the
  // processor and the server more than the answer is worth).
  const { rows } = await client.query<{ inserted: string[] | null }>(
    `WITH ins AS (
       INSERT INTO raw_events (event_id, device_id, site_id, zone_id, sensor_type, value, unit, ts_event,
                               kafka_partition, kafka_offset, lateness)
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
  return inserted === null || inserted === undefined
    ? new Set(readings.map((r) => r.eventId))
    : new Set(inserted);
}

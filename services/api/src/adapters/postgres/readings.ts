import type { Pool } from '@telemetry-pulse/shared';
import type { SensorType } from '@telemetry-pulse/shared/core';
import type { ReadingsStore } from '../../domain/stores';
import { iso, orNull } from './rows';

/**
 * Latest values: per zone from the newest 5 m window, per device from the newest raw reading. Both walk
 * the devices table for the series that exist and take one row per series from an index (LIMIT 1 in a
 * LATERAL join), so the cost follows the number of series, not the history stored.
 */
export function createReadingsStore(pool: Pool): ReadingsStore {
  return {
    async zonesLatest({ siteId, zoneId, sensorTypes, after, updatedAfterMs, take }) {
      const { rows } = await pool.query<{
        site_id: string;
        zone_id: string;
        sensor_type: SensorType;
        value_avg: number;
        value_min: number;
        value_max: number;
        sample_count: number;
        window_start: Date;
        updated_at: Date;
      }>(
        `SELECT z.site_id, z.zone_id, s.sensor_type, w.value_avg, w.value_min, w.value_max, w.sample_count,
                w.window_start, w.updated_at
           FROM (SELECT DISTINCT site_id, zone_id FROM devices
                  WHERE ($1::text IS NULL OR site_id = $1) AND ($2::text IS NULL OR zone_id = $2)) z
          CROSS JOIN unnest($3::text[]) AS s(sensor_type)
          CROSS JOIN LATERAL (
                SELECT a.window_start, a.value_avg, a.value_min, a.value_max, a.sample_count, a.updated_at
                  FROM window_aggregates a
                 WHERE a.window_seconds = 300 AND a.site_id = z.site_id AND a.zone_id = z.zone_id
                   AND a.sensor_type = s.sensor_type
                 ORDER BY a.window_start DESC
                 LIMIT 1) w
          WHERE ($4::text IS NULL OR (z.site_id, z.zone_id, s.sensor_type) > ($4, $5::text, $6::text))
            AND ($7::float8 IS NULL OR w.updated_at > to_timestamp($7::float8 / 1000))
          ORDER BY z.site_id, z.zone_id, s.sensor_type
          LIMIT $8`,
        [
          orNull(siteId),
          orNull(zoneId),
          sensorTypes,
          after?.[0] ?? null,
          after?.[1] ?? null,
          after?.[2] ?? null,
          orNull(updatedAfterMs),
          take,
        ],
      );
      return rows.map((r) => ({
        site_id: r.site_id,
        zone_id: r.zone_id,
        sensor_type: r.sensor_type,
        value: r.value_avg,
        min: r.value_min,
        max: r.value_max,
        count: r.sample_count,
        window_start: iso(r.window_start),
        updated_at: iso(r.updated_at),
      }));
    },

    async devicesLatest({ siteId, zoneId, deviceId, sensorTypes, after, take }) {
      const { rows } = await pool.query<{
        device_id: string;
        site_id: string;
        zone_id: string;
        sensor_type: SensorType;
        value: number;
        ts_event: Date;
      }>(
        `SELECT d.device_id, d.site_id, d.zone_id, s.sensor_type, r.value, r.ts_event
           FROM devices d
          CROSS JOIN unnest($4::text[]) AS s(sensor_type)
          CROSS JOIN LATERAL (
                SELECT e.value, e.ts_event FROM raw_events e
                 WHERE e.device_id = d.device_id AND e.sensor_type = s.sensor_type
                 ORDER BY e.ts_event DESC
                 LIMIT 1) r
          WHERE ($1::text IS NULL OR d.site_id = $1)
            AND ($2::text IS NULL OR d.zone_id = $2)
            AND ($3::text IS NULL OR d.device_id = $3)
            AND ($5::text IS NULL OR d.device_id >= $5)
            AND ($5::text IS NULL OR (d.device_id, s.sensor_type) > ($5, $6::text))
          ORDER BY d.device_id, s.sensor_type
          LIMIT $7`,
        [
          orNull(siteId),
          orNull(zoneId),
          orNull(deviceId),
          sensorTypes,
          after?.[0] ?? null,
          after?.[1] ?? null,
          take,
        ],
      );
      return rows.map((r) => ({
        device_id: r.device_id,
        site_id: r.site_id,
        zone_id: r.zone_id,
        sensor_type: r.sensor_type,
        value: r.value,
        ts_event: iso(r.ts_event),
      }));
    },
  };
}

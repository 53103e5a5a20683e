import type { Pool } from '@telemetry-pulse/shared';
import type { CatalogStore } from '../../domain/stores';
import { iso, orNull } from './rows';

/** Sites, zones and devices, all derived from the devices table (one row per device ever seen). */
export function createCatalogStore(pool: Pool): CatalogStore {
  return {
    async sites({ after, take }) {
      const { rows } = await pool.query<{ site_id: string; zones: number; devices: number; last: Date }>(
        `SELECT site_id, count(DISTINCT zone_id)::int AS zones, count(*)::int AS devices, max(last_seen_at) AS last
           FROM devices
          WHERE ($1::text IS NULL OR site_id > $1)
          GROUP BY site_id
          ORDER BY site_id
          LIMIT $2`,
        [orNull(after), take],
      );
      return rows.map((r) => ({
        site_id: r.site_id,
        zones: r.zones,
        devices: r.devices,
        last_seen_at: iso(r.last),
      }));
    },

    async zones({ siteId, after, take }) {
      const { rows } = await pool.query<{ site_id: string; zone_id: string; devices: number; last: Date }>(
        `SELECT site_id, zone_id, count(*)::int AS devices, max(last_seen_at) AS last
           FROM devices
          WHERE ($1::text IS NULL OR site_id = $1)
            AND ($2::text IS NULL OR (site_id, zone_id) > ($2, $3::text))
          GROUP BY site_id, zone_id
          ORDER BY site_id, zone_id
          LIMIT $4`,
        [orNull(siteId), after?.[0] ?? null, after?.[1] ?? null, take],
      );
      return rows.map((r) => ({
        site_id: r.site_id,
        zone_id: r.zone_id,
        devices: r.devices,
        last_seen_at: iso(r.last),
      }));
    },

    async devices({ siteId, zoneId, after, take }) {
      const { rows } = await pool.query<{
        device_id: string;
        site_id: string;
        zone_id: string;
        first_seen_at: Date;
        last_seen_at: Date;
        site_last: Date;
      }>(
        `SELECT d.device_id, d.site_id, d.zone_id, d.first_seen_at, d.last_seen_at, s.site_last
           FROM devices d
           JOIN (SELECT site_id, max(last_seen_at) AS site_last FROM devices GROUP BY site_id) s USING (site_id)
          WHERE ($1::text IS NULL OR d.site_id = $1)
            AND ($2::text IS NULL OR d.zone_id = $2)
            AND ($3::text IS NULL OR d.device_id > $3)
          ORDER BY d.device_id
          LIMIT $4`,
        [orNull(siteId), orNull(zoneId), orNull(after), take],
      );
      return rows.map((r) => ({
        device_id: r.device_id,
        site_id: r.site_id,
        zone_id: r.zone_id,
        first_seen_at: iso(r.first_seen_at),
        last_seen_at: iso(r.last_seen_at),
        site_last_seen_at: iso(r.site_last),
      }));
    },

    async deviceStats(deviceId) {
      // Both aggregates walk raw_events_device_ts over one hour of one device: cheap however long the history.
      const { rows } = await pool.query<{ last: Date; avg_temp: number | null; max_co2: number | null }>(
        `SELECT d.last_seen_at AS last,
                (SELECT avg(e.value) FROM raw_events e
                  WHERE e.device_id = d.device_id AND e.sensor_type = 'temperature'
                    AND e.ts_event > d.last_seen_at - interval '1 hour') AS avg_temp,
                (SELECT max(e.value) FROM raw_events e
                  WHERE e.device_id = d.device_id AND e.sensor_type = 'co2'
                    AND e.ts_event > d.last_seen_at - interval '1 hour') AS max_co2
           FROM devices d
          WHERE d.device_id = $1`,
        [deviceId],
      );
      const r = rows[0];
      return r && { last_seen_at: iso(r.last), avg_temp: r.avg_temp, max_co2: r.max_co2 };
    },
  };
}

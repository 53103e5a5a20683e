import { namedStatement, type PoolClient } from '@telemetry-pulse/shared';
import type { AcceptedReading } from '../../domain/plan-batch';

const UPSERT_DEVICES = namedStatement(
  'upsert_devices',
  `INSERT INTO devices AS d (device_id, site_id, zone_id, kafka_partition, first_seen_at, last_seen_at)
     SELECT t.device_id, t.site_id, t.zone_id, t.part, to_timestamp(t.first_ms / 1000.0), to_timestamp(t.last_ms / 1000.0)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[])
            WITH ORDINALITY AS t(device_id, site_id, zone_id, part, first_ms, last_ms, ord)
      ORDER BY t.ord
     ON CONFLICT (device_id) DO UPDATE SET
       first_seen_at   = LEAST(d.first_seen_at, EXCLUDED.first_seen_at),
       last_seen_at    = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at),
       site_id         = EXCLUDED.site_id,
       zone_id         = EXCLUDED.zone_id,
       kafka_partition = EXCLUDED.kafka_partition`,
);

interface DeviceSeen {
  deviceId: string;
  siteId: string;
  zoneId: string;
  partition: number;
  firstMs: number;
  lastMs: number;
}

/** Records first/last event time per device; one row per device, in id order (stable lock order). */
export async function upsertDevices(client: PoolClient, readings: readonly AcceptedReading[]): Promise<void> {
  const byDevice = new Map<string, DeviceSeen>();
  for (const r of readings) {
    const d = byDevice.get(r.deviceId);
    if (!d) {
      byDevice.set(r.deviceId, {
        deviceId: r.deviceId,
        siteId: r.siteId,
        zoneId: r.zoneId,
        partition: r.partition,
        firstMs: r.tsEventMs,
        lastMs: r.tsEventMs,
      });
    } else {
      d.firstMs = Math.min(d.firstMs, r.tsEventMs);
      d.lastMs = Math.max(d.lastMs, r.tsEventMs);
    }
  }
  if (byDevice.size === 0) return;
  const devices = [...byDevice.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
  await client.query(
    UPSERT_DEVICES([
      devices.map((d) => d.deviceId),
      devices.map((d) => d.siteId),
      devices.map((d) => d.zoneId),
      devices.map((d) => d.partition),
      devices.map((d) => d.firstMs),
      devices.map((d) => d.lastMs),
    ]),
  );
}

import { randomUUID } from 'node:crypto';
import type { WireEvent } from './events';

/**
 * A small, predictable building fleet for the API tests, ending a minute before `nowMs`:
 * - 12 regular devices over 2 sites and 6 zones, all four sensors every minute for 3 hours (no alerts);
 * - 20 CO2 devices in one more zone cycling 4 min high / 6 min low (offsets shared in pairs, so alerts
 *   tie on opened_at), every fourth one high enough to escalate to critical: about 18 alerts each;
 * - one device that goes quiet 20 minutes before the end (status silent, and a device-silent alert);
 * - after those: one late reading (10 min behind) and one too late (2 days old).
 */
export function apiFleet(nowMs: number): { events: WireEvent[]; late: WireEvent[]; endMs: number } {
  const endMs = Math.floor(nowMs / 60_000) * 60_000 - 60_000;
  const startMs = endMs - 3 * 3600_000;
  const events: WireEvent[] = [];
  const at = (ms: number) => new Date(ms).toISOString();
  const push = (e: Omit<WireEvent, 'event_id'>) => events.push({ event_id: randomUUID(), ...e });

  for (let t = startMs; t <= endMs; t += 30_000) {
    const minute = (t - startMs) / 60_000;
    if (t % 60_000 === 0) {
      for (let d = 0; d < 12; d += 1) {
        const site = `site-${d % 2}`;
        const base = {
          device_id: `dev-${d}`,
          site_id: site,
          zone_id: `${site}-zone-${d % 3}`,
          ts_event: at(t),
        };
        push({ ...base, sensor_type: 'co2', value: 450 + ((d * 37 + minute * 7) % 400) });
        push({ ...base, sensor_type: 'temperature', value: 21 + ((d + minute) % 16) / 10 });
        push({ ...base, sensor_type: 'humidity', value: 40 + ((d * 3 + minute) % 15) });
        push({ ...base, sensor_type: 'occupancy', value: (d + minute) % 11 });
      }
      if (t <= endMs - 20 * 60_000) {
        const quiet = {
          device_id: 'dev-quiet',
          site_id: 'site-1',
          zone_id: 'site-1-zone-0',
          ts_event: at(t),
        };
        push({ ...quiet, sensor_type: 'temperature', value: 22 });
      }
    }
    for (let i = 0; i < 20; i += 1) {
      const phase = (t - startMs + (i % 10) * 30_000) % 600_000;
      const high = i % 4 === 0 ? 1600 : 1200;
      push({
        device_id: `co2-${String(i).padStart(2, '0')}`,
        site_id: 'site-0',
        zone_id: 'site-0-zone-9',
        sensor_type: 'co2',
        value: phase < 240_000 ? high : 600,
        ts_event: at(t),
      });
    }
  }
  const late: WireEvent[] = [
    { ...(events[0] as WireEvent), event_id: randomUUID(), value: 501, ts_event: at(endMs - 10 * 60_000) },
    { ...(events[0] as WireEvent), event_id: randomUUID(), value: 502, ts_event: at(endMs - 2 * 86_400_000) },
  ];
  return { events, late, endMs };
}

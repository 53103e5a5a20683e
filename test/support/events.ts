import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';

export interface WireEvent {
  event_id: string;
  device_id: string;
  site_id: string;
  zone_id: string;
  sensor_type: 'co2' | 'temperature' | 'humidity' | 'occupancy';
  value: number;
  ts_event: string;
}

const SENSORS = ['co2', 'temperature', 'humidity', 'occupancy'] as const;
const VALUE: Record<WireEvent['sensor_type'], (i: number) => number> = {
  co2: (i) => 420 + (i % 500),
  temperature: (i) => 20 + (i % 40) / 10,
  humidity: (i) => 40 + (i % 15),
  occupancy: (i) => i % 12,
};

/**
 * `count` valid readings from `devices` devices over consecutive 10 s ticks ending before now, in the v1
 * wire format. Plain and predictable: the fault tests need volume, not realism (that is the simulator's job).
 */
export function readings(count: number, devices = 24, startMs = Date.now() - 6 * 3600_000): WireEvent[] {
  const out: WireEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const d = i % devices;
    const sensor = SENSORS[Math.floor(i / devices) % 4] ?? 'co2';
    out.push({
      event_id: randomUUID(),
      device_id: `dev-${d}`,
      site_id: `site-${d % 2}`,
      zone_id: `zone-${d % 6}`,
      sensor_type: sensor,
      value: VALUE[sensor](i),
      ts_event: new Date(startMs + Math.floor(i / (devices * 4)) * 10_000).toISOString(),
    });
  }
  return out;
}

/** Publishes in chunks (keyed by device, as the simulator does); resolves when all are acknowledged. */
export async function publish(
  producer: Producer,
  topic: string,
  events: readonly WireEvent[],
  chunk = 2_000,
): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) {
    await producer.send({
      topic,
      messages: events.slice(i, i + chunk).map((e) => ({ key: e.device_id, value: JSON.stringify(e) })),
    });
  }
}

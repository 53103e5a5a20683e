import type { Random } from './random';

/** How many sites, zones per site and devices per zone the simulated fleet has. */
export interface FleetShape {
  readonly sites: number;
  readonly zonesPerSite: number;
  readonly devicesPerZone: number;
}

/** The three kinds of space a zone can be; they differ in how many people they hold and how fast. */
export type ZoneKind = 'open-office' | 'meeting-room' | 'lobby';

/** One simulated device and the fixed traits of the space it measures, drawn once from the seed. */
export interface Device {
  readonly deviceId: string;
  readonly siteId: string;
  readonly zoneId: string;
  readonly zoneKind: ZoneKind;
  /** People the device's area holds at a full working-day peak. */
  readonly capacity: number;
  /** Steady-state CO2 above the outdoor baseline when the area is full, ppm (ventilation quality). */
  readonly co2RiseAtCapacityPpm: number;
  /** Daytime HVAC setpoint, °C. */
  readonly setpointC: number;
  /** Relative humidity of the empty space, %. */
  readonly baseHumidityPct: number;
  /** Offset of this device's reports inside each interval, 0..1, so a fleet does not report in lockstep. */
  readonly phase: number;
}

const CAPACITY: Record<ZoneKind, readonly [number, number]> = {
  'open-office': [12, 40],
  'meeting-room': [4, 12],
  lobby: [6, 20],
};

/** Zero-padded ordinal: `site-01`, or `site-001` once a fleet has more than 99 of something. */
function ordinal(prefix: string, n: number, count: number): string {
  return `${prefix}-${String(n).padStart(Math.max(2, String(count).length), '0')}`;
}

/**
 * Builds the fleet: ids read as `site-01`, `site-01-zone-03`, `site-01-zone-03-dev-02`, so a device id alone
 * tells where it is. Zone kinds and device traits come from `random`, so a seed fixes the whole fleet.
 */
export function buildFleet(shape: FleetShape, random: Random): Device[] {
  const devices: Device[] = [];
  for (let s = 1; s <= shape.sites; s++) {
    const siteId = ordinal('site', s, shape.sites);
    for (let z = 1; z <= shape.zonesPerSite; z++) {
      const zoneId = ordinal(`${siteId}-zone`, z, shape.zonesPerSite);
      const zoneKind = random.pick<ZoneKind>(['open-office', 'open-office', 'meeting-room', 'lobby']);
      const [minCap, maxCap] = CAPACITY[zoneKind];
      for (let d = 1; d <= shape.devicesPerZone; d++) {
        devices.push({
          deviceId: ordinal(`${zoneId}-dev`, d, shape.devicesPerZone),
          siteId,
          zoneId,
          zoneKind,
          capacity: random.int(minCap, maxCap),
          co2RiseAtCapacityPpm: random.between(450, 1100),
          setpointC: random.between(20.5, 22.5),
          baseHumidityPct: random.between(32, 48),
          phase: random.next(),
        });
      }
    }
  }
  return devices;
}

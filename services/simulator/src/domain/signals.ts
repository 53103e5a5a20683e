import { hvacOn, workingDayOccupancy } from './calendar';
import type { Device } from './fleet';
import type { Random } from './random';

/** What a device's space is really like at one instant (before the sensor rounds and adds its own noise). */
export interface SignalState {
  readonly tsMs: number;
  /** People present, continuous; the sensor reports it rounded. */
  readonly occupancy: number;
  readonly co2Ppm: number;
  readonly temperatureC: number;
  readonly humidityPct: number;
}

/** One device report: the four readings, rounded as a real sensor sends them. */
export interface Readings {
  readonly co2: number;
  readonly temperature: number;
  readonly humidity: number;
  readonly occupancy: number;
}

export const OUTDOOR_CO2_PPM = 420;

// Time constants of the first-order models: how fast each quantity forgets where it was.
const OCCUPANCY_TAU_MS = 10 * 60_000; // people arrive and leave over minutes
const CO2_TAU_MS = 25 * 60_000; // air change rate of an office, about 2.4 per hour
const TEMPERATURE_TAU_MS = 90 * 60_000; // thermal mass of a building
const HUMIDITY_TAU_MS = 60 * 60_000;

// Spread of the slow random walks around their targets (stationary standard deviations).
const TEMPERATURE_SD_C = 0.35;
const HUMIDITY_SD_PCT = 2.5;
const NIGHT_SETBACK_C = 3.5;
const OCCUPANT_WARMING_C = 1.5; // a full room runs this much above setpoint
const OCCUPANT_HUMIDITY_PCT = 10; // people exhale moisture

// Measurement noise the sensor adds on every reading.
const CO2_SENSOR_SD_PPM = 8;
const TEMPERATURE_SENSOR_SD_C = 0.05;
const HUMIDITY_SENSOR_SD_PCT = 0.4;

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

/**
 * Exact discretisation of an Ornstein–Uhlenbeck step: relax toward `target` by `1 - e^(-dt/tau)` and add noise
 * whose size keeps the stationary spread at `sd`, so any step length (10 s or 1 ms) gives the same statistics.
 */
function relax(x: number, target: number, dtMs: number, tauMs: number, sd: number, random: Random): number {
  const keep = Math.exp(-dtMs / tauMs);
  return target + (x - target) * keep + sd * Math.sqrt(1 - keep * keep) * random.gaussian();
}

/** Meeting rooms fill and empty in jumps; open offices average out. */
function occupancySpread(device: Device, expected: number): number {
  const jumpiness = device.zoneKind === 'meeting-room' ? 0.45 : device.zoneKind === 'lobby' ? 0.3 : 0.15;
  return 0.3 + jumpiness * expected;
}

function temperatureTarget(device: Device, tsMs: number, occupancyShare: number): number {
  const base = hvacOn(tsMs) ? device.setpointC : device.setpointC - NIGHT_SETBACK_C;
  return base + OCCUPANT_WARMING_C * occupancyShare;
}

/** The state of a space at `tsMs` drawn near its equilibrium, so a run does not start with a transient. */
export function initialSignals(device: Device, tsMs: number, random: Random): SignalState {
  const expected = device.capacity * workingDayOccupancy(tsMs);
  const occupancy = Math.max(0, expected + occupancySpread(device, expected) * random.gaussian());
  const share = occupancy / device.capacity;
  return {
    tsMs,
    occupancy,
    co2Ppm: OUTDOOR_CO2_PPM + device.co2RiseAtCapacityPpm * share,
    temperatureC: temperatureTarget(device, tsMs, share) + TEMPERATURE_SD_C * random.gaussian(),
    humidityPct: device.baseHumidityPct + OCCUPANT_HUMIDITY_PCT * share + HUMIDITY_SD_PCT * random.gaussian(),
  };
}

/**
 * Advances a space to `tsMs`: occupancy follows the working-day curve with noise; CO2 relaxes toward the
 * outdoor baseline plus a rise proportional to occupancy; temperature and humidity random-walk around
 * targets that follow the HVAC schedule and the people present. Pure apart from the draws from `random`.
 */
export function advanceSignals(device: Device, prev: SignalState, tsMs: number, random: Random): SignalState {
  const dtMs = Math.max(0, tsMs - prev.tsMs);
  const expected = device.capacity * workingDayOccupancy(tsMs);
  const occupancy = Math.max(
    0,
    relax(prev.occupancy, expected, dtMs, OCCUPANCY_TAU_MS, occupancySpread(device, expected), random),
  );
  const share = occupancy / device.capacity;
  // CO2 has no noise of its own: it integrates occupancy, and the sensor adds measurement noise.
  const co2Target = OUTDOOR_CO2_PPM + device.co2RiseAtCapacityPpm * share;
  const co2Ppm = relax(prev.co2Ppm, co2Target, dtMs, CO2_TAU_MS, 0, random);
  const temperatureC = relax(
    prev.temperatureC,
    temperatureTarget(device, tsMs, share),
    dtMs,
    TEMPERATURE_TAU_MS,
    TEMPERATURE_SD_C,
    random,
  );
  const humidityPct = relax(
    prev.humidityPct,
    device.baseHumidityPct + OCCUPANT_HUMIDITY_PCT * share,
    dtMs,
    HUMIDITY_TAU_MS,
    HUMIDITY_SD_PCT,
    random,
  );
  return { tsMs, occupancy, co2Ppm, temperatureC, humidityPct };
}

/**
 * What the sensors send for a state: measurement noise, sensor resolution (whole ppm and people, 0.01 °C,
 * 0.1 %) and physical clamps well inside SENSOR_RANGES, so a normal reading always validates.
 */
export function readSensors(state: SignalState, random: Random): Readings {
  return {
    co2: Math.round(clamp(state.co2Ppm + CO2_SENSOR_SD_PPM * random.gaussian(), 350, 5_000)),
    temperature: round(clamp(state.temperatureC + TEMPERATURE_SENSOR_SD_C * random.gaussian(), 5, 40), 2),
    humidity: round(clamp(state.humidityPct + HUMIDITY_SENSOR_SD_PCT * random.gaussian(), 5, 95), 1),
    occupancy: Math.round(state.occupancy),
  };
}

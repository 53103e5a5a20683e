import { parseEvent, SENSOR_RANGES, type TelemetryEvent } from '@telemetry-pulse/shared/core';
import { buildingClock, hvacOn, workingDayOccupancy, OUTDOOR_CO2_PPM } from '@telemetry-pulse/simulator';
import { backfillStream, take, WEDNESDAY_MIDNIGHT } from './helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A week of 5-minute reports from the small fleet, every message parsed. */
function simulatedWeek(): TelemetryEvent[] {
  const messages = take(
    backfillStream({ spanMs: 7 * DAY, intervalMs: 5 * 60_000, endMs: WEDNESDAY_MIDNIGHT }),
  );
  return messages.map((m) => {
    const parsed = parseEvent(m.value);
    if (!parsed.ok) throw new Error(`${parsed.code}: ${parsed.message} in ${m.value}`);
    return parsed.event;
  });
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    const y = ys[i] ?? my;
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

describe('building calendar', () => {
  it('knows the weekday and hour of an instant', () => {
    expect(buildingClock(Date.UTC(2025, 0, 15, 13, 30))).toEqual({ weekday: 3, hour: 13.5 });
    expect(buildingClock(Date.UTC(2025, 0, 19, 0, 0)).weekday).toBe(0);
  });

  it('has a working-day occupancy curve: full mid-morning, a lunch dip, empty at night and light at weekends', () => {
    const at = (day: number, hour: number, minute = 0): number =>
      workingDayOccupancy(Date.UTC(2025, 0, day, hour, minute));
    expect(at(15, 10)).toBeGreaterThan(0.8); // Wednesday 10:00
    expect(at(15, 12, 45)).toBeLessThan(0.7);
    expect(at(15, 3)).toBe(0);
    expect(at(15, 23)).toBeLessThan(0.02);
    expect(at(18, 11)).toBeLessThan(0.1); // Saturday
    for (let h = 0; h < 24; h += 0.25) {
      expect(workingDayOccupancy(WEDNESDAY_MIDNIGHT + h * HOUR)).toBeGreaterThanOrEqual(0);
      expect(workingDayOccupancy(WEDNESDAY_MIDNIGHT + h * HOUR)).toBeLessThanOrEqual(1);
    }
  });

  it('runs the HVAC on weekdays 06:00–19:00 only', () => {
    expect(hvacOn(Date.UTC(2025, 0, 15, 8))).toBe(true);
    expect(hvacOn(Date.UTC(2025, 0, 15, 20))).toBe(false);
    expect(hvacOn(Date.UTC(2025, 0, 18, 10))).toBe(false);
  });
});

describe('a simulated week', () => {
  let events: TelemetryEvent[] = [];
  beforeAll(() => {
    events = simulatedWeek();
  });
  const bySensor = (sensor: TelemetryEvent['sensorType']): TelemetryEvent[] =>
    events.filter((e) => e.sensorType === sensor);
  const hourOf = (e: TelemetryEvent): number => buildingClock(e.tsEventMs).hour;
  const weekday = (e: TelemetryEvent): boolean => {
    const d = buildingClock(e.tsEventMs).weekday;
    return d >= 1 && d <= 5;
  };
  const officeHours = (e: TelemetryEvent): boolean => weekday(e) && hourOf(e) >= 10 && hourOf(e) < 16;
  const night = (e: TelemetryEvent): boolean => hourOf(e) >= 1 && hourOf(e) < 5;

  it('covers every device and sensor, and every reading validates', () => {
    expect(events.length).toBe(7 * 288 * 12 * 4); // days × reports a day × devices × sensors
    expect(new Set(events.map((e) => e.deviceId)).size).toBe(12);
  });

  it('stays within SENSOR_RANGES and within what a real office shows', () => {
    const range = (sensor: TelemetryEvent['sensorType']): [number, number] => {
      const values = bySensor(sensor).map((e) => e.value);
      return [Math.min(...values), Math.max(...values)];
    };
    for (const sensor of ['co2', 'temperature', 'humidity', 'occupancy'] as const) {
      const [lo, hi] = range(sensor);
      expect(lo).toBeGreaterThanOrEqual(SENSOR_RANGES[sensor].min);
      expect(hi).toBeLessThanOrEqual(SENSOR_RANGES[sensor].max);
    }
    expect(range('co2')[0]).toBeGreaterThan(350);
    expect(range('co2')[1]).toBeLessThan(2_500);
    expect(range('temperature')[0]).toBeGreaterThan(14);
    expect(range('temperature')[1]).toBeLessThan(28);
    expect(range('humidity')[0]).toBeGreaterThan(15);
    expect(range('humidity')[1]).toBeLessThan(75);
    expect(bySensor('occupancy').every((e) => Number.isInteger(e.value) && e.value >= 0)).toBe(true);
  });

  it('fills offices in office hours and empties them at night', () => {
    const occupancy = bySensor('occupancy');
    const day = mean(occupancy.filter(officeHours).map((e) => e.value));
    const nightly = mean(occupancy.filter(night).map((e) => e.value));
    expect(day).toBeGreaterThan(5);
    expect(nightly).toBeLessThan(0.5);
    expect(day).toBeGreaterThan(10 * nightly);
  });

  it('raises CO2 with occupancy and lets it decay to the outdoor baseline when empty', () => {
    const co2 = bySensor('co2');
    const occupancy = bySensor('occupancy');
    // The four readings of a report are consecutive, so the i-th co2 and occupancy readings pair up.
    expect(co2.length).toBe(occupancy.length);
    const shares = occupancy.map((e) => e.value);
    expect(
      correlation(
        shares,
        co2.map((e) => e.value),
      ),
    ).toBeGreaterThan(0.6);
    expect(mean(co2.filter(night).map((e) => e.value))).toBeLessThan(OUTDOOR_CO2_PPM + 40);
    expect(mean(co2.filter(officeHours).map((e) => e.value))).toBeGreaterThan(OUTDOOR_CO2_PPM + 250);
  });

  it('warms rooms by day and sets back at night', () => {
    const temperature = bySensor('temperature');
    const day = mean(temperature.filter(officeHours).map((e) => e.value));
    const nightly = mean(temperature.filter((e) => weekday(e) && night(e)).map((e) => e.value));
    expect(day - nightly).toBeGreaterThan(1.5);
  });
});

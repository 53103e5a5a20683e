/**
 * Building time: when people come in and when the HVAC runs. Buildings are taken to keep UTC office hours,
 * so a dashboard in UTC shows the working day where one expects it.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Day of week (0 = Sunday … 6 = Saturday) and fractional hour of day, from epoch milliseconds UTC. */
export function buildingClock(tsMs: number): { weekday: number; hour: number } {
  const days = Math.floor(tsMs / DAY_MS);
  // 1970-01-01 was a Thursday (weekday 4); `+ 7` keeps pre-1970 instants non-negative.
  const weekday = (((days + 4) % 7) + 7) % 7;
  return { weekday, hour: (tsMs - days * DAY_MS) / HOUR_MS };
}

/** Share of desks taken through a weekday: arrivals 7–9:30, a lunch dip, departures 16:30–19:30. */
const WEEKDAY_CURVE: readonly (readonly [hour: number, level: number])[] = [
  [0, 0],
  [5.5, 0],
  [6.5, 0.02],
  [8, 0.45],
  [9.5, 0.9],
  [12, 0.85],
  [12.5, 0.55],
  [13.5, 0.85],
  [16.5, 0.8],
  [18, 0.3],
  [19.5, 0.05],
  [22, 0.01],
  [24, 0],
];

/** Weekends: a few people drop in around midday. */
const WEEKEND_CURVE: readonly (readonly [hour: number, level: number])[] = [
  [0, 0],
  [9, 0.02],
  [11, 0.08],
  [16, 0.06],
  [18, 0.01],
  [24, 0],
];

function interpolate(curve: readonly (readonly [number, number])[], hour: number): number {
  for (let i = 1; i < curve.length; i++) {
    const [h1, v1] = curve[i] as readonly [number, number];
    if (hour <= h1) {
      const [h0, v0] = curve[i - 1] as readonly [number, number];
      return v0 + ((v1 - v0) * (hour - h0)) / (h1 - h0);
    }
  }
  return 0;
}

/** Expected fraction of a space's capacity present at `tsMs`, 0..1, before any per-space noise. */
export function workingDayOccupancy(tsMs: number): number {
  const { weekday, hour } = buildingClock(tsMs);
  return interpolate(weekday === 0 || weekday === 6 ? WEEKEND_CURVE : WEEKDAY_CURVE, hour);
}

/** Whether the HVAC holds the daytime setpoint (weekdays 06:00–19:00); otherwise it sets back overnight. */
export function hvacOn(tsMs: number): boolean {
  const { weekday, hour } = buildingClock(tsMs);
  return weekday >= 1 && weekday <= 5 && hour >= 6 && hour < 19;
}

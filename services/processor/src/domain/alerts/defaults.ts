import type { AlertRule } from './rules';

/**
 * The rules used when `ALERT_RULES_FILE` is not set; `services/processor/alert-rules.example.json` writes
 * the same set out as a file. Durations are event time.
 *
 * - `co2-high`: warning above 1000 ppm (clears at or below 900), critical above 1500 ppm (clears at or
 *   below 1400); sustained 2 min; cooldown 5 min.
 * - `temperature-comfort`: warning below 18 °C (clears at or above 18.5) or above 26 °C (clears at or
 *   below 25.5); sustained 5 min; cooldown 10 min.
 * - `humidity-comfort`: warning below 30 % (clears at or above 32) or above 60 % (clears at or below 58);
 *   sustained 5 min; cooldown 10 min.
 * - `device-silent`: warning when a device has sent nothing for more than 5 min.
 */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = deepFreeze<AlertRule[]>([
  {
    kind: 'threshold',
    id: 'co2-high',
    sensorType: 'co2',
    levels: [
      { severity: 'warning', above: { trigger: 1000, clear: 900 } }, // ppm
      { severity: 'critical', above: { trigger: 1500, clear: 1400 } }, // ppm
    ],
    forMs: 120_000, // 2 min
    cooldownMs: 300_000, // 5 min
    description: 'Stale air: ventilation is not keeping up with occupancy.',
  },
  {
    kind: 'threshold',
    id: 'temperature-comfort',
    sensorType: 'temperature',
    levels: [
      { severity: 'warning', below: { trigger: 18, clear: 18.5 }, above: { trigger: 26, clear: 25.5 } },
    ], // °C
    forMs: 300_000, // 5 min
    cooldownMs: 600_000, // 10 min
    description: 'Room temperature outside the comfort range.',
  },
  {
    kind: 'threshold',
    id: 'humidity-comfort',
    sensorType: 'humidity',
    levels: [{ severity: 'warning', below: { trigger: 30, clear: 32 }, above: { trigger: 60, clear: 58 } }], // %
    forMs: 300_000, // 5 min
    cooldownMs: 600_000, // 10 min
    description: 'Relative humidity outside the comfort range (dry air or mould risk).',
  },
  {
    kind: 'silence',
    id: 'device-silent',
    silentMs: 300_000, // 5 min
    severity: 'warning',
    description: 'A device stopped reporting: power, battery or network.',
  },
]);

/** Freezes a plain JSON-like value and everything inside it, so rule sets can be shared safely. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

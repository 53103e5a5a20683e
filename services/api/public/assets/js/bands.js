/**
 * Comfort bands: how each zone reading is coloured (the legend in index.html says the same).
 *
 * - CO2 (ppm): below 800 good; 800–1000 fair; 1000–1500 poor; above 1500 bad. 1000 ppm is also where the
 *   processor's `co2-high` warning starts, 1500 where it turns critical.
 * - Temperature (°C): 20–24 good; 18–20 and 24–26 fair; anything else poor.
 * - Humidity (% RH): 40–60 good; 30–40 and 60–70 fair; anything else poor.
 * - Occupancy (people): a plain count, shown in a neutral colour.
 *
 * A value on a boundary belongs to the better band (800 ppm is good, 24 °C is good, 40 % is good).
 */

/** @typedef {'co2' | 'temperature' | 'humidity' | 'occupancy'} SensorType */
/** @typedef {'good' | 'fair' | 'poor' | 'bad' | 'neutral'} Band */

/** Display order, labels, units and decimals of the four sensors. */
export const SENSORS = /** @type {const} */ ([
  { type: 'co2', label: 'CO₂', unit: 'ppm', decimals: 0 },
  { type: 'temperature', label: 'Temperature', unit: '°C', decimals: 1 },
  { type: 'humidity', label: 'Humidity', unit: '%', decimals: 0 },
  { type: 'occupancy', label: 'Occupancy', unit: 'people', decimals: 0 },
]);

/**
 * The comfort band of one reading.
 * @param {string} sensorType
 * @param {number} value
 * @returns {Band}
 */
export function comfortBand(sensorType, value) {
  if (!Number.isFinite(value)) return 'neutral';
  switch (sensorType) {
    case 'co2':
      if (value <= 800) return 'good';
      if (value <= 1000) return 'fair';
      if (value <= 1500) return 'poor';
      return 'bad';
    case 'temperature':
      if (value >= 20 && value <= 24) return 'good';
      if (value >= 18 && value <= 26) return 'fair';
      return 'poor';
    case 'humidity':
      if (value >= 40 && value <= 60) return 'good';
      if (value >= 30 && value <= 70) return 'fair';
      return 'poor';
    default:
      return 'neutral';
  }
}

/**
 * The "good" range of a sensor, shaded behind the trend line; undefined when it has none.
 * @param {string} sensorType
 * @returns {{ low: number, high: number } | undefined}
 */
export function goodRange(sensorType) {
  switch (sensorType) {
    case 'co2':
      return { low: 0, high: 800 };
    case 'temperature':
      return { low: 20, high: 24 };
    case 'humidity':
      return { low: 40, high: 60 };
    default:
      return undefined;
  }
}

/**
 * Label, unit and decimals of a sensor type (unknown types get a plain fallback).
 * @param {string} sensorType
 */
export function sensorInfo(sensorType) {
  return (
    SENSORS.find((s) => s.type === sensorType) ?? {
      type: sensorType,
      label: sensorType,
      unit: '',
      decimals: 1,
    }
  );
}

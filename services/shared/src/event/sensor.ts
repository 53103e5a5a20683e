/** The four sensor kinds a device reports, as named on the wire since the Python original. */
export const SENSOR_TYPES = ['co2', 'temperature', 'humidity', 'occupancy'] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];

/** Physical bounds a reading must lie within; anything outside is a faulty sensor or a bad message. */
export const SENSOR_RANGES: Readonly<Record<SensorType, { min: number; max: number; unit: string }>> = {
  co2: { min: 0, max: 10_000, unit: 'ppm' },
  temperature: { min: -50, max: 100, unit: 'C' },
  humidity: { min: 0, max: 100, unit: '%' },
  occupancy: { min: 0, max: 100_000, unit: 'people' },
};

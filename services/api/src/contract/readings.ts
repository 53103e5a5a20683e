import { z } from 'zod';
import { cursorParam, entityId, instant, limitParam, page, sensorType } from './common';

export const zoneLatestSchema = z
  .object({
    site_id: entityId('Site'),
    zone_id: entityId('Zone'),
    sensor_type: sensorType,
    value: z.number().describe('Average of the newest 5 m window.'),
    min: z.number(),
    max: z.number(),
    count: z.number().int().describe('Readings in the window.'),
    window_start: instant('Start of the window (event time).'),
    updated_at: instant('When the processor last changed the window.'),
  })
  .meta({ id: 'ZoneLatest', description: 'The newest 5 m window of one sensor kind in one zone.' });

export const deviceReadingSchema = z
  .object({
    device_id: entityId('Device'),
    site_id: entityId('Site'),
    zone_id: entityId('Zone'),
    sensor_type: sensorType,
    value: z.number(),
    ts_event: instant('Event time of the reading.'),
  })
  .meta({ id: 'DeviceReading', description: 'The newest reading of one sensor of one device.' });

export type ZoneLatest = z.infer<typeof zoneLatestSchema>;
export type DeviceReading = z.infer<typeof deviceReadingSchema>;

export const zonesLatestQuery = z.strictObject({
  site_id: entityId('Site').optional(),
  zone_id: entityId('Zone').optional(),
  sensor_type: sensorType.optional(),
  cursor: cursorParam,
  limit: limitParam(),
});

export const devicesLatestQuery = z.strictObject({
  site_id: entityId('Site').optional(),
  zone_id: entityId('Zone').optional(),
  device_id: entityId('Device').optional(),
  sensor_type: sensorType.optional(),
  cursor: cursorParam,
  limit: limitParam(),
});

export const zonesLatestPage = page(zoneLatestSchema);
export const devicesLatestPage = page(deviceReadingSchema);

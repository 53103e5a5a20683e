import { z } from 'zod';
import { cursorParam, entityId, instant, limitParam, page } from './common';

export const siteSchema = z
  .object({
    site_id: entityId('Site'),
    zones: z.number().int().describe('Zones with at least one device.'),
    devices: z.number().int(),
    last_seen_at: instant('Newest event time of any device of the site.'),
  })
  .meta({ id: 'Site' });

export const zoneSchema = z
  .object({
    site_id: entityId('Site'),
    zone_id: entityId('Zone'),
    devices: z.number().int(),
    last_seen_at: instant('Newest event time of any device of the zone.'),
  })
  .meta({ id: 'Zone' });

export const deviceSchema = z
  .object({
    device_id: entityId('Device'),
    site_id: entityId('Site'),
    zone_id: entityId('Zone'),
    first_seen_at: instant('Oldest event time seen from the device.'),
    last_seen_at: instant('Newest event time seen from the device.'),
    status: z
      .enum(['online', 'silent'])
      .describe(
        'silent: the newest reading is older than API_DEVICE_SILENT_AFTER before the newest reading of its site (event time).',
      ),
  })
  .meta({ id: 'Device' });

export type Site = z.infer<typeof siteSchema>;
export type Zone = z.infer<typeof zoneSchema>;
export type Device = z.infer<typeof deviceSchema>;

export const sitesQuery = z.strictObject({ cursor: cursorParam, limit: limitParam() });
export const zonesQuery = z.strictObject({
  site_id: entityId('Site').optional(),
  cursor: cursorParam,
  limit: limitParam(),
});
export const devicesQuery = z.strictObject({
  site_id: entityId('Site').optional(),
  zone_id: entityId('Zone').optional(),
  cursor: cursorParam,
  limit: limitParam(),
});

export const sitesPage = page(siteSchema);
export const zonesPage = page(zoneSchema);
export const devicesPage = page(deviceSchema);

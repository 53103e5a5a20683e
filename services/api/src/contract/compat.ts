import { z } from 'zod';
import { WINDOW_NAMES } from '../domain/buckets';
import { entityId, instant, sensorType } from './common';

/**
 * The Python original's routes and shapes, kept for existing dashboards. Unknown query parameters are
 * ignored as the original did; `site_id` is honoured and an unknown `window` is refused.
 */

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const kpiSchema = z
  .object({
    site_id: z.string(),
    zone_id: z.string(),
    sensor_type: z.string(),
    window_start: instant('Start of the newest 5 m window.'),
    avg: z.number(),
    max: z.number(),
    count: z.number().int(),
    last_updated: instant('When the processor last changed the window.'),
  })
  .meta({ id: 'Kpi' });
export type Kpi = z.infer<typeof kpiSchema>;

export const trendPointSchema = z
  .object({ ts: instant('Window start.'), avg: z.number(), min: z.number(), max: z.number() })
  .meta({ id: 'TrendPoint' });
export type TrendPoint = z.infer<typeof trendPointSchema>;

export const heatmapCellSchema = z
  .object({
    site_id: z.string(),
    zone_id: z.string(),
    avg_occupancy: z.number().describe('Average occupancy reading over the last hour.'),
  })
  .meta({ id: 'HeatmapCell' });
export type HeatmapCell = z.infer<typeof heatmapCellSchema>;

const legacyLimit = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(1000)
    .default(fallback)
    .describe('Rows, 1–1000.');

export const kpisQuery = z.object({ site_id: entityId('Site').optional() });
export const trendsQuery = z.object({
  sensor_type: sensorType,
  zone_id: entityId('Zone').optional().describe('Only this zone; all zones rolled up when omitted.'),
  site_id: entityId('Site').optional(),
  window: z.enum(WINDOW_NAMES).default('5m').describe('Window width.'),
  limit: legacyLimit(100),
});
export const recentAlertsQuery = z.object({ limit: legacyLimit(100) });
export const heatmapQuery = z.object({ site_id: entityId('Site').optional() });

export const kpisResponse = z.array(kpiSchema);
export const trendsResponse = z.array(trendPointSchema);
export const heatmapResponse = z.array(heatmapCellSchema);

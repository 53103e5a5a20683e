import { z } from 'zod';
import { entityId } from './common';

/**
 * The Python original's routes with its field names, both generations: the first (`/kpis/live`,
 * `/trends`, `/alerts/recent`, `/utilization/heatmap`, `/health`: plain dicts, instants written by
 * `isoformat()` with `+00:00`) and the second (`/ingest`, `/devices/{id}`, `/alerts`, `/health/live`,
 * `/health/ready`: pydantic models, instants with `Z`). Floats are written as Python writes them
 * (`450.0`). Unknown query parameters are ignored as FastAPI did.
 */

const pyInstant = (what: string) => z.iso.datetime({ offset: true }).describe(what);

export const healthSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string().describe('Version of this API (the original answered its own).'),
  })
  .meta({ id: 'LegacyHealth' });

export const kpiSchema = z
  .object({
    site_id: z.string(),
    zone_id: z.string(),
    sensor_type: z.string(),
    current_avg: z.number().describe('Average of the newest 5 m window.'),
    current_max: z.number(),
    sample_count: z.number().int(),
    last_updated: pyInstant('End of that window, e.g. 2026-11-27T09:20:00+00:00.'),
  })
  .meta({ id: 'LegacyKpi' });
export type Kpi = z.infer<typeof kpiSchema>;

export const trendPointSchema = z
  .object({
    timestamp: pyInstant('Window start.'),
    avg: z.number(),
    min: z.number(),
    max: z.number(),
  })
  .meta({ id: 'LegacyTrendPoint' });
export type TrendPoint = z.infer<typeof trendPointSchema>;

export const recentAlertSchema = z
  .object({
    alert_id: z.string(),
    site: z.string(),
    zone: z.string(),
    type: z.string().describe('CO2_HIGH, TEMPERATURE_LOW, … (sensor and direction), or DEVICE_SILENT.'),
    value: z.number().nullable().describe('The reading that opened the alert (null for a silent device).'),
    threshold: z.number().nullable().describe('The limit that reading crossed (null for a silent device).'),
    time: pyInstant('Event time the alert opened.'),
  })
  .meta({ id: 'LegacyRecentAlert' });
export type RecentAlert = z.infer<typeof recentAlertSchema>;

export const heatmapCellSchema = z
  .object({
    site_id: z.string(),
    zone_id: z.string(),
    occupancy_rate: z
      .number()
      .describe("Mean of the zone's 15 m occupancy window averages in the last hour."),
  })
  .meta({ id: 'LegacyHeatmapCell' });
export type HeatmapCell = z.infer<typeof heatmapCellSchema>;

export const deviceStatsSchema = z
  .object({
    device_id: z.string(),
    avg_temp: z.number().nullable().describe('Mean temperature in the hour up to last_seen.'),
    max_co2: z.number().nullable().describe('Highest CO2 reading in the hour up to last_seen.'),
    last_seen: pyInstant('Event time of the newest reading, e.g. 2026-11-27T09:15:00Z.'),
  })
  .meta({ id: 'LegacyDeviceStats' });
export type DeviceStats = z.infer<typeof deviceStatsSchema>;

export const alertV2Schema = z
  .object({
    alert_id: z.string(),
    alert_type: z.string().describe('As `type` of /alerts/recent.'),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
    triggered_at: pyInstant('Event time the alert opened.'),
    site_id: z.string(),
    zone_id: z.string(),
  })
  .meta({ id: 'LegacyAlert' });
export type AlertV2 = z.infer<typeof alertV2Schema>;

/** The original's single-event body: its event schema, with `event_id` and `ts_event` optional. */
export const ingestEventSchema = z
  .looseObject({
    event_id: z.string().optional().describe('A UUID; a new one when omitted.'),
    device_id: z.string(),
    site_id: z.string(),
    zone_id: z.string(),
    sensor_type: z.string().describe('co2, temperature, humidity or occupancy.'),
    value: z.number(),
    ts_event: z
      .union([z.string(), z.number()])
      .optional()
      .describe('ISO-8601 or epoch milliseconds; now (UTC) when omitted.'),
    unit: z.string().nullish(),
    schema_version: z.literal(1).optional(),
  })
  .meta({ id: 'IngestEvent' });

export const ingestResponseSchema = z
  .object({ status: z.literal('accepted'), message: z.literal('Event queued') })
  .meta({ id: 'IngestAccepted' });

export const livenessSchema = z.object({ status: z.literal('alive') }).meta({ id: 'Liveness' });
export const readinessSchema = z.object({ status: z.literal('ready') }).meta({ id: 'Readiness' });

const pyLimit = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0)
    .max(1000)
    .default(fallback)
    .describe(`Rows, 0–1000 (default ${fallback}).`);

export const kpisQuery = z.object({ site_id: entityId('Site').optional() });
export const trendsQuery = z.object({
  sensor_type: z.string().max(64).describe('Sensor kind; an unknown one has no windows.'),
  zone_id: entityId('Zone').optional().describe('Only this zone; all zones rolled up when omitted.'),
  site_id: entityId('Site').optional(),
  window: z.string().max(64).default('5m').describe('`5m` reads 5 m windows, anything else 15 m ones.'),
  limit: pyLimit(100),
});
export const recentAlertsQuery = z.object({ limit: pyLimit(20) });
export const alertsV2Query = z.object({ limit: pyLimit(10) });
export const heatmapQuery = z.object({ site_id: entityId('Site').optional() });
// The event schema's id rule: a NUL would otherwise reach PostgreSQL and answer 500 (test: api-hostile).
export const deviceParams = z.object({ device_id: entityId('Device') });

export const kpisResponse = z.array(kpiSchema);
export const trendsResponse = z.array(trendPointSchema);
export const recentAlertsResponse = z.array(recentAlertSchema);
export const heatmapResponse = z.array(heatmapCellSchema);
export const alertsV2Response = z.array(alertV2Schema);

/** Which response fields the original wrote as Python floats (the rest of its numbers are integers). */
export const PYTHON_FLOATS: ReadonlySet<string> = new Set([
  'current_avg',
  'current_max',
  'avg',
  'min',
  'max',
  'value',
  'threshold',
  'occupancy_rate',
  'avg_temp',
  'max_co2',
]);

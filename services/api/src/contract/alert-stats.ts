import { z } from 'zod';
import { ALERT_SEVERITIES } from '@telemetry-pulse/shared/core';
import { csvEnumParam, entityId, instant, instantParam } from './common';

/**
 * Alert analytics (GET /api/v1/alerts/stats): how fast alerts are acknowledged and resolved per site and
 * rule, and which devices alert and flap most, over the alerts opened in a period. Definitions: docs/api.md.
 */

export const MAX_STATS_TOP = 100;
export const MAX_FLAP_MINUTES = 1440;

export const durationStatsSchema = z
  .object({
    p50: z
      .number()
      .describe('Median, seconds (percentile_cont: interpolated between the two middle values).'),
    p90: z.number().describe('90th percentile, seconds (percentile_cont).'),
    max: z.number().describe('Longest, seconds.'),
  })
  .meta({
    id: 'DurationStats',
    description: 'Seconds from opened_at; null when no alert of the group has that time yet.',
  });

const counts = {
  alerts: z.number().int().describe('Alerts opened in the period.'),
  acknowledged: z.number().int().describe('Of those, acknowledged by a person (at any time since).'),
  resolved: z.number().int().describe('Of those, resolved (by the engine or a person).'),
  flaps: z
    .number()
    .int()
    .describe(
      'Of those, re-opens: alerts opened within `flap_minutes` of the resolve of the previous alert of the same device and rule.',
    ),
  time_to_acknowledge: durationStatsSchema.nullable(),
  time_to_resolve: durationStatsSchema.nullable(),
};

export const alertStatsSchema = z
  .object({
    from: instant('Start of the period (inclusive): alerts opened at or after it count.'),
    to: instant('End of the period (exclusive).'),
    flap_minutes: z.number().int().describe('The flap window used.'),
    totals: z
      .object({ ...counts, devices: z.number().int().describe('Devices with at least one alert.') })
      .describe('Every alert of the period that matches the filters.'),
    by_site_rule: z
      .array(z.object({ site_id: entityId('Site'), rule_id: z.string(), ...counts }))
      .describe('One entry per (site, rule) with alerts, ordered by site then rule.'),
    devices: z
      .array(
        z.object({
          device_id: entityId('Device'),
          site_id: entityId('Site'),
          zone_id: entityId('Zone').describe('Zone of its newest alert in the period.'),
          alerts: z.number().int(),
          flaps: z.number().int(),
        }),
      )
      .describe('The `top` devices with most alerts (then most flaps, then by id).'),
  })
  .meta({ id: 'AlertStats' });

export type AlertStats = z.infer<typeof alertStatsSchema>;
export type DurationStats = z.infer<typeof durationStatsSchema>;

export const alertStatsQuery = z
  .strictObject({
    from: instantParam('Opened at or after this instant. Default: 7 days before `to`.').optional(),
    to: instantParam('Opened before this instant. Default: now.').optional(),
    site_id: entityId('Site').optional().describe('Only this site.'),
    zone_id: entityId('Zone').optional().describe('Only this zone.'),
    rule_id: entityId('Alert rule').optional().describe('Only this alert rule, e.g. co2-high.'),
    severity: csvEnumParam(ALERT_SEVERITIES, 'Severities').optional(),
    top: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(1)
      .max(MAX_STATS_TOP)
      .default(10)
      .describe(`Devices listed, 1–${MAX_STATS_TOP}.`),
    flap_minutes: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0)
      .max(MAX_FLAP_MINUTES)
      .default(15)
      .describe(
        `An alert opened at most this many minutes after the previous alert of its device and rule was resolved is a flap; 0–${MAX_FLAP_MINUTES}.`,
      ),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

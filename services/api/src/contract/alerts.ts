import { z } from 'zod';
import { ALERT_SEVERITIES } from '@telemetry-pulse/shared/core';
import { csvEnumParam, cursorParam, entityId, instant, instantParam, limitParam, page } from './common';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;

export const alertSchema = z
  .object({
    alert_id: z.number().int(),
    rule_id: z.string(),
    device_id: entityId('Device'),
    site_id: entityId('Site'),
    zone_id: entityId('Zone'),
    sensor_type: z.string().describe('The sensor kind, or `device` for the silent-device rule.'),
    severity: z.enum(ALERT_SEVERITIES),
    status: z.enum(ALERT_STATUSES),
    message: z.string(),
    opened_at: instant('Event time at which the condition had held for the rule duration.'),
    escalated_at: instant('Event time of the last escalation.').nullable(),
    acknowledged_at: instant('When an operator acknowledged it.').nullable(),
    acknowledged_by: z.string().nullable(),
    resolved_at: instant(
      'When it was resolved (event time by the engine, wall clock by an operator).',
    ).nullable(),
    resolved_by: z.string().nullable().describe('`engine`, or the operator.'),
    trigger_value: z.number().nullable(),
    last_value: z.number().nullable(),
    peak_value: z.number().nullable(),
    updated_at: instant('Last change of the row.'),
  })
  .meta({ id: 'Alert' });

export type Alert = z.infer<typeof alertSchema>;

export const alertsQuery = z
  .strictObject({
    status: csvEnumParam(ALERT_STATUSES, 'Statuses').optional(),
    severity: csvEnumParam(ALERT_SEVERITIES, 'Severities').optional(),
    site_id: entityId('Site').optional(),
    zone_id: entityId('Zone').optional(),
    device_id: entityId('Device').optional(),
    rule_id: entityId('Alert rule').optional().describe('Alert rule id, e.g. co2-high.'),
    from: instantParam('Opened at or after this instant.').optional(),
    to: instantParam('Opened before this instant.').optional(),
    cursor: cursorParam,
    limit: limitParam(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

export const alertsPage = page(alertSchema);

export const alertParams = z.strictObject({
  alert_id: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .describe('Alert id.'),
});

export const alertActionBody = z
  .strictObject({
    by: z
      .string()
      .trim()
      .min(1)
      .max(128)
      // The processor tells its own resolves from a person's by this name: a person may not take it.
      .refine((by) => by.toLowerCase() !== 'engine', { message: '"engine" is reserved for the alert engine' })
      .optional()
      .describe('Who acts; the API key name when omitted. Not `engine`, which names the alert engine.'),
  })
  .meta({ id: 'AlertAction' });

import { z } from 'zod';
import {
  ALERT_SEVERITIES,
  SENSOR_TYPES,
  type AlertSeverity,
  type SensorType,
} from '@telemetry-pulse/shared/core';

/** Alert severities, lowest first; the order is the escalation order (defined once, in shared). */
export const SEVERITIES = ALERT_SEVERITIES;
export type Severity = AlertSeverity;

/** Position of a severity in {@link SEVERITIES}: a higher rank is more severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

const severitySchema = z.enum(SEVERITIES);
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
  message: 'must be 1-64 lower-case letters, digits, ".", "_" or "-"',
});
const durationMsSchema = z.number().int({ message: 'must be a whole number of milliseconds' }).min(0);
const descriptionSchema = z.string().max(500).optional();

/**
 * One side of a level, in the sensor's unit. Hysteresis: the level fires when the value goes beyond
 * `trigger` and keeps holding while it stays beyond `clear`, so a value wandering between the two neither
 * opens nor resolves anything.
 */
export const bandSchema = z.strictObject({ trigger: z.number(), clear: z.number() });
export type Band = z.infer<typeof bandSchema>;

/**
 * A severity and the values that reach it: `above` fires when value > trigger and holds while
 * value > clear; `below` fires when value < trigger and holds while value < clear. Either side or both.
 */
export const thresholdLevelSchema = z
  .strictObject({ severity: severitySchema, above: bandSchema.optional(), below: bandSchema.optional() })
  .refine((level) => level.above !== undefined || level.below !== undefined, {
    message: 'a level needs "above", "below" or both',
  });
export type ThresholdLevel = z.infer<typeof thresholdLevelSchema>;

/**
 * A value rule on one sensor type. `levels` are listed from least to most severe; a more severe level
 * is a stricter version of the one before (see `parseAlertRules` for the checks).
 */
export const thresholdRuleSchema = z.strictObject({
  kind: z.literal('threshold'),
  id: idSchema,
  sensorType: z.enum(SENSOR_TYPES),
  levels: z.array(thresholdLevelSchema).min(1).max(SEVERITIES.length),
  /** Event time a level's condition must hold without a break before the alert opens or escalates. */
  forMs: durationMsSchema,
  /** Event time after a resolve during which no new alert opens for the same device and rule. */
  cooldownMs: durationMsSchema,
  /** Template with `{placeholder}`s (see `THRESHOLD_PLACEHOLDERS`); a default names the threshold crossed. */
  message: z.string().min(1).max(500).optional(),
  description: descriptionSchema,
});
export type ThresholdRule = z.infer<typeof thresholdRuleSchema>;

/** Alerts on devices that stopped sending: nothing for more than `silentMs` of the partition's event time. */
export const silenceRuleSchema = z.strictObject({
  kind: z.literal('silence'),
  id: idSchema.default('device-silent'),
  silentMs: durationMsSchema.default(300_000), // 5 min
  severity: severitySchema.default('warning'),
  /** Template with `{placeholder}`s (see `SILENCE_PLACEHOLDERS`). */
  message: z.string().min(1).max(500).optional(),
  description: descriptionSchema,
});
export type SilenceRule = z.infer<typeof silenceRuleSchema>;

export const alertRuleSchema = z.discriminatedUnion('kind', [thresholdRuleSchema, silenceRuleSchema]);
export type AlertRule = ThresholdRule | SilenceRule;

/**
 * The `ALERT_RULES_FILE` document: `{ "description"?: string, "rules": AlertRule[] }`. Unknown keys are
 * refused so a misspelt option (`forMS`) fails start-up instead of silently falling back.
 */
export const alertRulesFileSchema = z.strictObject({
  description: z.string().optional(),
  rules: z.array(z.unknown()),
});

/** The value rules that apply to readings of one sensor type, in configuration order. */
export function rulesForSensor(rules: readonly AlertRule[], sensorType: SensorType): ThresholdRule[] {
  return rules.filter(
    (rule): rule is ThresholdRule => rule.kind === 'threshold' && rule.sensorType === sensorType,
  );
}

/** The silence rules of a rule set, in configuration order. */
export function silenceRules(rules: readonly AlertRule[]): SilenceRule[] {
  return rules.filter((rule): rule is SilenceRule => rule.kind === 'silence');
}

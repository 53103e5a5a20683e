import type { z } from 'zod';
import { SENSOR_RANGES } from '@telemetry-pulse/shared/core';
import { deepFreeze } from './defaults';
import { SILENCE_PLACEHOLDERS, THRESHOLD_PLACEHOLDERS, unknownPlaceholders } from './message';
import {
  alertRuleSchema,
  alertRulesFileSchema,
  severityRank,
  type AlertRule,
  type Band,
  type ThresholdLevel,
  type ThresholdRule,
} from './rules';

export type ParseAlertRulesResult =
  { ok: true; rules: readonly AlertRule[] } | { ok: false; problems: string[] };

/**
 * Validates an `ALERT_RULES_FILE` document (already JSON-decoded). Never throws. Reports every problem at
 * once, each prefixed with where it is (`rules[0] (co2-high).levels[1].above.clear: …`): the shape of each
 * rule, then the rules between fields:
 * - rule ids are unique;
 * - levels go from least to most severe, each severity once;
 * - each clear threshold lies strictly on the safe side of its trigger (`above.clear < above.trigger`,
 *   `below.clear > below.trigger`): without that gap a value hovering at the trigger would flap;
 * - thresholds lie within the sensor's physical range (one outside it could never fire);
 * - a level with both sides keeps them apart (`below.clear < above.clear`);
 * - a more severe level is a stricter version of the one before: same sides, a trigger further out and a
 *   clear no further in, so whenever it holds the lower level holds too;
 * - durations are whole milliseconds ≥ 0 (`silentMs` > 0); templates use only known placeholders.
 *
 * On success the rules are deep-frozen.
 */
export function parseAlertRules(json: unknown): ParseAlertRulesResult {
  const file = alertRulesFileSchema.safeParse(json);
  if (!file.success) return { ok: false, problems: formatIssues(file.error.issues, '') };

  const problems: string[] = [];
  const rules: AlertRule[] = [];
  const seen = new Set<string>();
  file.data.rules.forEach((raw, index) => {
    const parsed = alertRuleSchema.safeParse(raw);
    const rawId = typeof raw === 'object' && raw !== null && 'id' in raw ? String(raw.id) : undefined;
    const id = parsed.success ? parsed.data.id : rawId;
    const where = `rules[${index}]${id === undefined ? '' : ` (${id})`}`;
    if (!parsed.success) {
      problems.push(...formatIssues(parsed.error.issues, where));
      return;
    }
    const rule = parsed.data;
    if (seen.has(rule.id))
      problems.push(`${where}.id: "${rule.id}" is used by an earlier rule; ids must be unique`);
    seen.add(rule.id);
    problems.push(...checkRule(rule).map((problem) => `${where}${problem}`));
    rules.push(rule);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules: deepFreeze(rules) };
}

function checkRule(rule: AlertRule): string[] {
  if (rule.kind === 'silence') {
    const problems = checkTemplate(rule.message, SILENCE_PLACEHOLDERS);
    if (rule.silentMs === 0) problems.push('.silentMs: must be more than 0');
    return problems;
  }
  const problems = checkTemplate(rule.message, THRESHOLD_PLACEHOLDERS);
  rule.levels.forEach((level, i) => {
    problems.push(...checkLevel(rule, level).map((problem) => `.levels[${i}]${problem}`));
    const lower = rule.levels[i - 1];
    if (lower !== undefined) problems.push(...checkEscalation(lower, level).map((p) => `.levels[${i}]${p}`));
  });
  return problems;
}

function checkTemplate(template: string | undefined, allowed: readonly string[]): string[] {
  const unknown = template === undefined ? [] : unknownPlaceholders(template, allowed);
  return unknown.length === 0
    ? []
    : [
        `.message: unknown placeholder(s) ${unknown.map((n) => `{${n}}`).join(', ')}; use ${allowed.join(', ')}`,
      ];
}

function checkLevel(rule: ThresholdRule, level: ThresholdLevel): string[] {
  const problems: string[] = [];
  const { min, max, unit } = SENSOR_RANGES[rule.sensorType];
  const sides = [
    ['above', level.above],
    ['below', level.below],
  ] as const;
  for (const [side, band] of sides) {
    if (band === undefined) continue;
    const safe = side === 'above' ? band.clear < band.trigger : band.clear > band.trigger;
    if (!safe) {
      const relation = side === 'above' ? 'below' : 'above';
      problems.push(
        `.${side}.clear: must be ${relation} ${side}.trigger (${band.trigger}) so the alert does not flap`,
      );
    }
    for (const key of ['trigger', 'clear'] as const) {
      if (band[key] < min || band[key] > max) {
        problems.push(
          `.${side}.${key}: ${band[key]} is outside the ${rule.sensorType} range ${min}..${max} ${unit}`,
        );
      }
    }
  }
  if (level.above !== undefined && level.below !== undefined && level.below.clear >= level.above.clear) {
    problems.push(
      `.below.clear: must be below above.clear (${level.above.clear}) so the two sides do not overlap`,
    );
  }
  return problems;
}

function checkEscalation(lower: ThresholdLevel, higher: ThresholdLevel): string[] {
  if (severityRank(higher.severity) <= severityRank(lower.severity)) {
    return [`.severity: "${higher.severity}" must be more severe than "${lower.severity}" before it`];
  }
  const problems: string[] = [];
  problems.push(...checkStricter('above', lower.above, higher.above, lower.severity));
  problems.push(...checkStricter('below', lower.below, higher.below, lower.severity));
  return problems;
}

function checkStricter(
  side: 'above' | 'below',
  lower: Band | undefined,
  higher: Band | undefined,
  lowerSeverity: string,
) {
  if (higher === undefined) return [];
  if (lower === undefined) return [`.${side}: the ${lowerSeverity} level before it needs "${side}" too`];
  const sign = side === 'above' ? 1 : -1;
  const problems: string[] = [];
  if (sign * (higher.trigger - lower.trigger) <= 0) {
    problems.push(`.${side}.trigger: must be beyond the ${lowerSeverity} trigger (${lower.trigger})`);
  }
  if (sign * (higher.clear - lower.clear) < 0) {
    problems.push(`.${side}.clear: must not be inside the ${lowerSeverity} clear (${lower.clear})`);
  }
  return problems;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], where: string): string[] {
  return issues.map((issue) => {
    const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
    const location = `${where}${path}`.replace(/^\./, '') || '(root)';
    return `${location}: ${issue.message}`;
  });
}

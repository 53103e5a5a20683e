import { SENSOR_RANGES, formatDurationMs } from '@telemetry-pulse/shared/core';
import { formatValue } from './message';
import type { AlertRule, ThresholdLevel, ThresholdRule } from './rules';

/**
 * The rules as a Markdown list for the README and `--help`, one line per rule, e.g.
 * "- `co2-high` (co2): warning above 1000 ppm (clears at or below 900 ppm), critical above 1500 ppm
 * (clears at or below 1400 ppm); sustained 2m; cooldown 5m. Stale air: …".
 */
export function describeRules(rules: readonly AlertRule[]): string {
  if (rules.length === 0) return '- (no alert rules: alerting is off)';
  return rules.map((rule) => `- ${describeRule(rule)}`).join('\n');
}

function describeRule(rule: AlertRule): string {
  const why = rule.description === undefined ? '' : ` ${rule.description}`;
  if (rule.kind === 'silence') {
    return `\`${rule.id}\`: ${rule.severity} when a device has sent nothing for more than ${formatDurationMs(rule.silentMs)} of event time; resolved by its next reading.${why}`;
  }
  const levels = rule.levels.map((level) => describeLevel(rule, level)).join(', ');
  const sustained =
    rule.forMs === 0 ? 'opens on the first reading' : `sustained ${formatDurationMs(rule.forMs)}`;
  const cooldown = rule.cooldownMs === 0 ? 'no cooldown' : `cooldown ${formatDurationMs(rule.cooldownMs)}`;
  return `\`${rule.id}\` (${rule.sensorType}): ${levels}; ${sustained}; ${cooldown}.${why}`;
}

function describeLevel(rule: ThresholdRule, level: ThresholdLevel): string {
  const unit = SENSOR_RANGES[rule.sensorType].unit;
  const sides: string[] = [];
  if (level.below !== undefined) {
    const { trigger, clear } = level.below;
    sides.push(`below ${formatValue(trigger)} ${unit} (clears at or above ${formatValue(clear)} ${unit})`);
  }
  if (level.above !== undefined) {
    const { trigger, clear } = level.above;
    sides.push(`above ${formatValue(trigger)} ${unit} (clears at or below ${formatValue(clear)} ${unit})`);
  }
  return `${level.severity} ${sides.join(' or ')}`;
}

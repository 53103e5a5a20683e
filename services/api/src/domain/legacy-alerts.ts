import type { LegacyAlertRow } from './stores';

/**
 * The original's alert type: `<SENSOR>_HIGH` or `<SENSOR>_LOW` for a reading past a limit (its own rules
 * were named so, e.g. `CO2_HIGH`), the rule id in the same style otherwise (`DEVICE_SILENT`).
 */
export function legacyAlertType(
  a: Pick<LegacyAlertRow, 'rule_id' | 'sensor_type' | 'trigger_value' | 'threshold'>,
): string {
  if (a.trigger_value !== null && a.threshold !== null) {
    return `${a.sensor_type.toUpperCase()}_${a.trigger_value >= a.threshold ? 'HIGH' : 'LOW'}`;
  }
  return a.rule_id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

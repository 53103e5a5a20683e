/** Placeholders a value rule's `message` template may use. */
export const THRESHOLD_PLACEHOLDERS = [
  'ruleId',
  'deviceId',
  'siteId',
  'zoneId',
  'sensorType',
  'severity',
  'direction', // "above" or "below"
  'threshold', // the trigger that was crossed, in the sensor's unit
  'value',
  'unit',
] as const;

/** Placeholders a silence rule's `message` template may use. */
export const SILENCE_PLACEHOLDERS = [
  'ruleId',
  'deviceId',
  'siteId',
  'zoneId',
  'severity',
  'silentFor', // the rule's silentMs, e.g. "5m"
  'lastSeen', // ISO-8601 event time of the device's newest reading
] as const;

/** e.g. "co2 above 1000 ppm on dev-1 (site-1/zone-1): 1100 ppm". */
export const DEFAULT_THRESHOLD_MESSAGE =
  '{sensorType} {direction} {threshold} {unit} on {deviceId} ({siteId}/{zoneId}): {value} {unit}';

/** e.g. "no reading from dev-1 (site-1/zone-1) for more than 5m; last at 2024-05-01T12:00:00.000Z". */
export const DEFAULT_SILENCE_MESSAGE =
  'no reading from {deviceId} ({siteId}/{zoneId}) for more than {silentFor}; last at {lastSeen}';

const PLACEHOLDER_RE = /\{([A-Za-z]+)\}/g;

/** Replaces each `{name}` with `fields[name]`; a name without a field is left as written. */
export function renderMessage(template: string, fields: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER_RE, (whole, name: string) => fields[name] ?? whole);
}

/** The `{name}`s of a template that are not in `allowed`, for configuration checks. */
export function unknownPlaceholders(template: string, allowed: readonly string[]): string[] {
  return [...template.matchAll(PLACEHOLDER_RE)]
    .map((match) => match[1] ?? '')
    .filter((name) => !allowed.includes(name));
}

/** A reading for people: at most two decimals, no trailing zeros (612.5, not 612.5000001). */
export function formatValue(value: number): string {
  return String(Math.round(value * 100) / 100);
}

import { z } from 'zod';
import { SEVERITIES, type Severity } from './rules';

/**
 * What a value rule remembers about one device between batches; stored as jsonb in `alert_rule_state`
 * in the same transaction as the alert rows it explains. Plain JSON: no `undefined`, no `Infinity`.
 */
export interface ThresholdState {
  /** Format version; bump it (and migrate) when the shape changes. */
  readonly v: 1;
  /** Event time of the newest reading evaluated (epoch ms); readings at or before it are skipped. */
  readonly lastTsMs: number | null;
  /**
   * Per severity, the event time (epoch ms) since when that level's condition has held without a break:
   * set by the reading that crossed the trigger, dropped by the first reading back past the clear
   * threshold. Keyed by severity, not position, so reordering or adding levels keeps the right clock.
   */
  readonly heldSinceMs: Readonly<Partial<Record<Severity, number>>>;
  /** The alert this rule has open for the device, as the engine last left it, or null. */
  readonly open: OpenAlertState | null;
  /** No new alert opens before this event time (epoch ms): the last resolve plus the rule's cooldown. */
  readonly cooldownUntilMs: number | null;
}

export interface OpenAlertState {
  readonly severity: Severity;
  /** Event time (epoch ms) of the reading that opened it. */
  readonly openedAtMs: number;
  /** The most extreme value since it opened (highest above, lowest below), in the sensor's unit. */
  readonly peak: number;
}

/** A device the rule has not seen yet. */
export const INITIAL_THRESHOLD_STATE: ThresholdState = Object.freeze({
  v: 1,
  lastTsMs: null,
  heldSinceMs: Object.freeze({}),
  open: null,
  cooldownUntilMs: null,
});

const epochMs = z.number().int();
const severity = z.enum(SEVERITIES);

/** Schema of {@link ThresholdState} as stored, for checking what comes back from the database. */
export const thresholdStateSchema: z.ZodType<ThresholdState> = z.object({
  v: z.literal(1),
  lastTsMs: epochMs.nullable(),
  heldSinceMs: z.partialRecord(severity, epochMs),
  open: z.object({ severity, openedAtMs: epochMs, peak: z.number() }).nullable(),
  cooldownUntilMs: epochMs.nullable(),
});

export type ParseThresholdStateResult = { ok: true; state: ThresholdState } | { ok: false; problem: string };

/**
 * Checks a stored state (jsonb from `alert_rule_state`). Never throws. A refusal means the row was
 * written by another version or by hand; the caller should stop rather than start the device afresh,
 * which would try to open a second alert beside the one already open.
 */
export function parseThresholdState(json: unknown): ParseThresholdStateResult {
  const result = thresholdStateSchema.safeParse(json);
  if (result.success) return { ok: true, state: result.data };
  const problem = result.error.issues
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem: `alert rule state not understood: ${problem}` };
}

import { SENSOR_RANGES } from '@telemetry-pulse/shared/core';
import { DEFAULT_THRESHOLD_MESSAGE, formatValue, renderMessage } from './message';
import { severityRank, type Severity, type ThresholdLevel, type ThresholdRule } from './rules';
import type { AlertReading, ThresholdAction, ThresholdEvaluation } from './threshold-actions';
import { INITIAL_THRESHOLD_STATE, type OpenAlertState, type ThresholdState } from './threshold-state';

/**
 * Runs one device's new readings through a value rule. Pure: same rule, state and readings, same result.
 *
 * - **Order.** Readings are sorted by (tsEventMs, eventId). One whose event time is not after the last
 *   evaluated reading (`state.lastTsMs`, or an earlier reading of the same call with the same
 *   millisecond) is out of order for this rule: skipped by the engine, counted in `skippedOutOfOrder`,
 *   and still stored and aggregated by the caller. So redelivered readings change nothing, and feeding a
 *   stream in batches gives the same actions and state as feeding it at once.
 * - **Sustained.** A level holds from the reading that crosses its trigger until the first reading back
 *   past its clear threshold (hysteresis). A gap between readings does not reset that clock; only a reading
 *   outside the band does. The alert opens at the first reading at which a level has held for `forMs`,
 *   with the most severe such level.
 * - **Escalation.** An open alert moves up when a more severe level has held for `forMs`. It never moves
 *   down: a critical alert whose value falls back to the warning band stays critical until it resolves.
 * - **Resolve.** When a reading leaves every level's band (back past the lowest level's clear threshold).
 *   No new alert opens before resolvedAt + `cooldownMs` (event time, inclusive); a condition that kept
 *   holding through the cooldown opens at the first reading once it is over.
 * - **Humans.** Acknowledging in the API changes nothing here: the engine escalates and resolves an
 *   acknowledged alert as any other. A person resolving it while the condition still holds re-arms the
 *   rule (see {@link rearmAfterPersonResolved}), which the caller applies before this call.
 *
 * Readings of other sensor types are ignored, so a device's whole batch may be passed. Readings of
 * several devices in one call are a programming error and throw.
 */
export function evaluateThreshold(
  rule: ThresholdRule,
  state: ThresholdState | undefined,
  readings: readonly AlertReading[],
): ThresholdEvaluation {
  const ordered = readings.filter((r) => r.sensorType === rule.sensorType).sort(byEventTime);
  const device = ordered[0]?.deviceId;
  const other = ordered.find((r) => r.deviceId !== device);
  if (other !== undefined) {
    throw new Error(`evaluateThreshold(${rule.id}): one device per call, got ${device}, ${other.deviceId}`);
  }
  const initial = state ?? INITIAL_THRESHOLD_STATE;
  let current = initial;
  const actions: ThresholdAction[] = [];
  let skippedOutOfOrder = 0;
  // A quiet reading (no alert open, no level holding, none fired by it) only moves the clock; most readings
  // are quiet, so the clock they moved is folded into the state once instead of a new state per reading.
  let quietTsMs: number | null = null;
  for (const reading of ordered) {
    const lastTsMs = quietTsMs ?? current.lastTsMs;
    if (lastTsMs !== null && reading.tsEventMs <= lastTsMs) {
      skippedOutOfOrder += 1;
      continue;
    }
    if (isQuiet(rule, current, reading.value)) {
      quietTsMs = reading.tsEventMs;
      continue;
    }
    quietTsMs = null; // the step moves the clock past it anyway
    const next = step(rule, current, reading);
    current = next.state;
    if (next.action) actions.push(next.action);
  }
  if (quietTsMs !== null) current = { ...current, lastTsMs: quietTsMs };
  return { state: current, actions, skippedOutOfOrder, changed: current !== initial };
}

/**
 * A person resolved the alert `state` has open (the caller found no unresolved alert row for it) while,
 * as far as the engine knows, its condition still holds. The rule is re-armed rather than left believing
 * in an alert that no longer exists (whose escalation and resolve would then update nothing):
 * - the episode is forgotten (`open` = null), with no cooldown: a person's resolve is not a clear;
 * - a level at or below the resolved alert's severity must hold for `forMs` again, counted from the
 *   newest reading evaluated before the engine learnt of the resolve (`lastTsMs`): if it still holds
 *   then, a new alert opens, so a resolve cannot silence a condition that never cleared;
 * - a more severe level that was building keeps its clock: the person never saw it, so it opens (as a
 *   new alert) exactly when it would have escalated the resolved one. Escalation is never lost.
 * Pure; a state without an open alert is returned as it is.
 */
export function rearmAfterPersonResolved(rule: ThresholdRule, state: ThresholdState): ThresholdState {
  const open = state.open;
  if (open === null) return state;
  const heldSinceMs: Partial<Record<Severity, number>> = {};
  for (const level of rule.levels) {
    const since = state.heldSinceMs[level.severity];
    if (since === undefined) continue;
    const resolved = severityRank(level.severity) <= severityRank(open.severity);
    heldSinceMs[level.severity] =
      resolved && state.lastTsMs !== null ? Math.max(since, state.lastTsMs) : since;
  }
  return { ...state, open: null, heldSinceMs };
}

function step(
  rule: ThresholdRule,
  state: ThresholdState,
  r: AlertReading,
): { state: ThresholdState; action?: ThresholdAction } {
  const heldSinceMs: Partial<Record<Severity, number>> = {};
  for (const level of rule.levels) {
    const since = state.heldSinceMs[level.severity];
    if (since !== undefined && holds(level, r.value)) heldSinceMs[level.severity] = since;
    else if (fires(level, r.value)) heldSinceMs[level.severity] = r.tsEventMs;
  }
  const next: ThresholdState = { ...state, lastTsMs: r.tsEventMs, heldSinceMs };
  const sustained = sustainedLevel(rule, heldSinceMs, r.tsEventMs);
  const open = state.open;
  const base = { ruleId: rule.id, deviceId: r.deviceId, atMs: r.tsEventMs, value: r.value };

  if (open === null) {
    const cooling = state.cooldownUntilMs !== null && r.tsEventMs < state.cooldownUntilMs;
    if (sustained === undefined || cooling) return { state: next };
    const opened: OpenAlertState = { severity: sustained.severity, openedAtMs: r.tsEventMs, peak: r.value };
    return {
      state: { ...next, open: opened },
      action: {
        type: 'open',
        ...base,
        siteId: r.siteId,
        zoneId: r.zoneId,
        sensorType: rule.sensorType,
        severity: sustained.severity,
        threshold: crossed(sustained, r.value),
        message: message(rule, sustained, r),
      },
    };
  }
  if (Object.keys(heldSinceMs).length === 0) {
    return {
      state: { ...next, open: null, cooldownUntilMs: r.tsEventMs + rule.cooldownMs },
      action: { type: 'resolve', ...base, peak: open.peak },
    };
  }
  const peak = worse(rule, open.peak, r.value);
  if (sustained !== undefined && severityRank(sustained.severity) > severityRank(open.severity)) {
    return {
      state: { ...next, open: { ...open, severity: sustained.severity, peak } },
      action: {
        type: 'escalate',
        ...base,
        severity: sustained.severity,
        threshold: crossed(sustained, r.value),
        message: message(rule, sustained, r),
      },
    };
  }
  return { state: { ...next, open: { ...open, peak } } };
}

/** True when `value` would change nothing but the clock: what {@link step} does then, without its objects. */
function isQuiet(rule: ThresholdRule, state: ThresholdState, value: number): boolean {
  if (state.open !== null) return false;
  for (const _ in state.heldSinceMs) return false;
  // Indexed, not for...of: this runs for nearly every reading, and V8 allocated an iterator for that loop.
  for (let i = 0; i < rule.levels.length; i++) {
    if (fires(rule.levels[i] as ThresholdLevel, value)) return false;
  }
  return true;
}

function fires(level: ThresholdLevel, value: number): boolean {
  return (
    (level.above !== undefined && value > level.above.trigger) ||
    (level.below !== undefined && value < level.below.trigger)
  );
}

function holds(level: ThresholdLevel, value: number): boolean {
  return (
    (level.above !== undefined && value > level.above.clear) ||
    (level.below !== undefined && value < level.below.clear)
  );
}

/** The most severe level that has held for at least `forMs` at `atMs`. */
function sustainedLevel(
  rule: ThresholdRule,
  heldSinceMs: Partial<Record<Severity, number>>,
  atMs: number,
): ThresholdLevel | undefined {
  let best: ThresholdLevel | undefined;
  for (const level of rule.levels) {
    const since = heldSinceMs[level.severity];
    if (since === undefined || atMs - since < rule.forMs) continue;
    if (best === undefined || severityRank(level.severity) > severityRank(best.severity)) best = level;
  }
  return best;
}

/** Of two values, the one further out of the lowest level's bands (the peak of a two-sided rule may be low). */
function worse(rule: ThresholdRule, a: number, b: number): number {
  const lowest = rule.levels[0];
  const excess = (v: number) =>
    Math.max(
      lowest?.above === undefined ? -Infinity : v - lowest.above.clear,
      lowest?.below === undefined ? -Infinity : lowest.below.clear - v,
    );
  return excess(b) > excess(a) ? b : a;
}

/** The trigger of `level` on the side `value` lies (a level may watch both directions). */
function crossed(level: ThresholdLevel, value: number): number {
  const side = level.above !== undefined && value > level.above.clear ? 'above' : 'below';
  return (side === 'above' ? level.above : level.below)?.trigger ?? Number.NaN;
}

function message(rule: ThresholdRule, level: ThresholdLevel, r: AlertReading): string {
  const side = level.above !== undefined && r.value > level.above.clear ? 'above' : 'below';
  const threshold = crossed(level, r.value);
  return renderMessage(rule.message ?? DEFAULT_THRESHOLD_MESSAGE, {
    ruleId: rule.id,
    deviceId: r.deviceId,
    siteId: r.siteId,
    zoneId: r.zoneId,
    sensorType: rule.sensorType,
    severity: level.severity,
    direction: side,
    threshold: formatValue(threshold),
    value: formatValue(r.value),
    unit: SENSOR_RANGES[rule.sensorType].unit,
  });
}

function byEventTime(a: AlertReading, b: AlertReading): number {
  return a.tsEventMs - b.tsEventMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

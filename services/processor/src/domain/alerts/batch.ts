import type { Lateness } from '../watermark';
import type { ThresholdRule } from './rules';
import type { AlertReading, ThresholdAction } from './threshold-actions';
import { evaluateThreshold, rearmAfterPersonResolved } from './threshold-rule';
import type { ThresholdState } from './threshold-state';

/**
 * What the alert rules do with one batch's newly stored readings, as pure steps around the few reads and
 * writes the PostgreSQL adapter (adapters/postgres/alerts.ts) runs in the batch's transaction: group the
 * readings per (device, rule) in key order, re-arm what people resolved, evaluate each group against its
 * stored state, and say which states changed.
 */

/** A reading as the alert rules see it: stored this batch, with its lateness. */
export type BatchReading = AlertReading & { readonly lateness: Lateness };

/** One (device, threshold rule) pair of the batch and its readings, in arrival order. */
export interface ThresholdWork {
  readonly rule: ThresholdRule;
  readonly deviceId: string;
  readonly readings: readonly BatchReading[];
}

/** The key of a (device, rule) pair in state maps. */
export const stateKey = (deviceId: string, ruleId: string): string => `${deviceId}\u0000${ruleId}`;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The batch's readings grouped per (device, threshold rule), sorted by device then rule: the order rows are
 * locked in, so concurrent members never deadlock. Too-late readings drive no rule.
 */
export function groupThresholdWork(
  rules: readonly ThresholdRule[],
  readings: readonly BatchReading[],
): ThresholdWork[] {
  const work: ThresholdWork[] = [];
  for (const rule of rules) {
    const byDevice = new Map<string, BatchReading[]>();
    for (const r of readings) {
      if (r.sensorType !== rule.sensorType || r.lateness === 'too_late') continue;
      const list = byDevice.get(r.deviceId);
      if (list) list.push(r);
      else byDevice.set(r.deviceId, [r]);
    }
    for (const [deviceId, list] of byDevice) work.push({ rule, deviceId, readings: list });
  }
  return work.sort((a, b) => compare(a.deviceId, b.deviceId) || compare(a.rule.id, b.rule.id));
}

/** The pairs whose stored state has an open alert: their alert rows are locked and checked. */
export function withOpenAlert(
  work: readonly ThresholdWork[],
  states: ReadonlyMap<string, ThresholdState>,
): ThresholdWork[] {
  return work.filter((w) => states.get(stateKey(w.deviceId, w.rule.id))?.open);
}

/**
 * States re-armed because a person resolved their open alert (no unresolved row is left for it, see
 * rearmAfterPersonResolved): `states` with those replaced, and their keys.
 */
export function rearmResolvedByPeople(
  open: readonly ThresholdWork[],
  states: ReadonlyMap<string, ThresholdState>,
  unresolvedKeys: ReadonlySet<string>,
): { states: Map<string, ThresholdState>; rearmed: Set<string> } {
  const next = new Map(states);
  const rearmed = new Set<string>();
  for (const w of open) {
    const key = stateKey(w.deviceId, w.rule.id);
    const state = next.get(key);
    if (state === undefined || unresolvedKeys.has(key)) continue;
    next.set(key, rearmAfterPersonResolved(w.rule, state));
    rearmed.add(key);
  }
  return { states: next, rearmed };
}

export interface BatchEvaluation {
  /** What to write to `alerts`, in work order. */
  readonly actions: ThresholdAction[];
  /** States to store: those the readings changed and those re-armed. */
  readonly changed: { deviceId: string; ruleId: string; state: ThresholdState }[];
  /** Readings older than the newest one their rule evaluated for the device (they drive nothing). */
  readonly skipped: number;
}

/** Evaluates every (device, rule) pair against its stored state. */
export function evaluateThresholdWork(
  work: readonly ThresholdWork[],
  states: ReadonlyMap<string, ThresholdState>,
  rearmed: ReadonlySet<string>,
): BatchEvaluation {
  const actions: ThresholdAction[] = [];
  const changed: BatchEvaluation['changed'] = [];
  let skipped = 0;
  for (const w of work) {
    const key = stateKey(w.deviceId, w.rule.id);
    const result = evaluateThreshold(w.rule, states.get(key), w.readings);
    actions.push(...result.actions);
    skipped += result.skippedOutOfOrder;
    if (result.changed || rearmed.has(key)) {
      changed.push({ deviceId: w.deviceId, ruleId: w.rule.id, state: result.state });
    }
  }
  return { actions, changed, skipped };
}

/** Each device's earliest event time among the batch's readings: a silent device's next reading. */
export function firstReadingByDevice(
  readings: readonly Pick<AlertReading, 'deviceId' | 'tsEventMs'>[],
): Map<string, number> {
  const first = new Map<string, number>();
  for (const r of readings) first.set(r.deviceId, Math.min(first.get(r.deviceId) ?? Infinity, r.tsEventMs));
  return first;
}

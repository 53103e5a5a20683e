import type { AlertSeverity } from '@telemetry-pulse/shared/core';
import type { TransitionKind } from './config';

/** The alert as the transition left it (a copy of its row, written by migration 011's trigger). */
export interface AlertSnapshot {
  readonly alert_id: number;
  readonly rule_id: string;
  readonly device_id: string;
  readonly site_id: string;
  readonly zone_id: string;
  readonly sensor_type: string;
  readonly severity: AlertSeverity;
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly message: string;
  readonly opened_at: string;
  readonly escalated_at: string | null;
  readonly acknowledged_at: string | null;
  readonly acknowledged_by: string | null;
  readonly resolved_at: string | null;
  readonly resolved_by: string | null;
  readonly trigger_value: number | null;
  readonly peak_value: number | null;
  readonly last_value: number | null;
  readonly threshold?: number | null;
}

/** One alert transition from the outbox. */
export interface Transition {
  readonly transitionId: string;
  readonly kind: TransitionKind;
  /** Escalations only: the severity before. */
  readonly previousSeverity: AlertSeverity | null;
  /** When the transition's transaction ran (ms since the epoch). */
  readonly createdAtMs: number;
  readonly alert: AlertSnapshot;
}

/** One transition due on one channel. */
export interface Delivery {
  readonly channel: string;
  readonly idempotencyKey: string;
  /** Failed attempts so far. */
  readonly attempts: number;
  readonly transition: Transition;
}

/**
 * The key a receiver deduplicates on: stable per transition and channel, so every retry and every
 * dispatcher that takes over sends the same one (`alert-17.resolved.42@ops-webhook`).
 */
export function idempotencyKey(
  channel: string,
  t: Pick<Transition, 'transitionId' | 'kind' | 'alert'>,
): string {
  return `alert-${t.alert.alert_id}.${t.kind}.${t.transitionId}@${channel}`;
}

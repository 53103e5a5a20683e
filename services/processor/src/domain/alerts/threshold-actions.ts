import type { SensorType, TelemetryEvent } from '@telemetry-pulse/shared/core';
import type { Severity } from './rules';
import type { ThresholdState } from './threshold-state';

/** The fields of a reading the alert engine looks at; a {@link TelemetryEvent} will do. */
export type AlertReading = Pick<
  TelemetryEvent,
  'eventId' | 'deviceId' | 'siteId' | 'zoneId' | 'sensorType' | 'value' | 'tsEventMs'
>;

/** Insert a new alert, status `open`. `atMs` is the event time of the reading that completed `forMs`. */
export interface OpenAlertAction {
  readonly type: 'open';
  readonly ruleId: string;
  readonly deviceId: string;
  readonly siteId: string;
  readonly zoneId: string;
  readonly sensorType: SensorType;
  readonly severity: Severity;
  readonly atMs: number;
  readonly value: number;
  /** The trigger the value crossed (the level's `above` or `below` trigger), in the sensor's unit. */
  readonly threshold: number;
  readonly message: string;
}

/** Raise the unresolved alert of (device, rule) to `severity`; `message` is rewritten for that level. */
export interface EscalateAlertAction {
  readonly type: 'escalate';
  readonly ruleId: string;
  readonly deviceId: string;
  readonly severity: Severity;
  readonly atMs: number;
  readonly value: number;
  /** The trigger of the new level the value crossed. */
  readonly threshold: number;
  readonly message: string;
}

/** Resolve the unresolved alert of (device, rule), acknowledged or not. `peak` is the worst value seen. */
export interface ResolveAlertAction {
  readonly type: 'resolve';
  readonly ruleId: string;
  readonly deviceId: string;
  readonly atMs: number;
  readonly value: number;
  readonly peak: number;
}

export type ThresholdAction = OpenAlertAction | EscalateAlertAction | ResolveAlertAction;

export interface ThresholdEvaluation {
  /** Save it (even when `changed` is false it is safe to save). */
  readonly state: ThresholdState;
  /** In event-time order; apply them in this order, in the transaction that saves `state`. */
  readonly actions: readonly ThresholdAction[];
  /** Readings not after `state.lastTsMs` (or an earlier reading of this call): stored, not evaluated. */
  readonly skippedOutOfOrder: number;
  /** False when no reading was evaluated, so the state need not be written back. */
  readonly changed: boolean;
}

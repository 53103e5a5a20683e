import { formatDurationMs } from '@telemetry-pulse/shared/core';
import { DEFAULT_SILENCE_MESSAGE, renderMessage } from './message';
import type { Severity, SilenceRule } from './rules';

/** What the silence rule needs to know about a device (from the `devices` and `alerts` tables). */
export interface DeviceLiveness {
  readonly deviceId: string;
  readonly siteId: string;
  readonly zoneId: string;
  /** Event time of the device's newest reading (epoch ms). */
  readonly lastSeenMs: number;
  /** Whether this rule already has an unresolved alert (open or acknowledged) for the device. */
  readonly hasOpenAlert: boolean;
  /**
   * When the newest alert of this rule that a person resolved for the device had opened (event time,
   * epoch ms), or null when a person never resolved one.
   */
  readonly personResolvedOpenedAtMs: number | null;
}

/**
 * Insert a new silence alert, status `open`. `atMs` is lastSeenMs + silentMs, the event time at which
 * the device became silent, so the same silence gives the same alert whenever the check runs.
 */
export interface SilenceOpenAction {
  readonly type: 'open';
  readonly ruleId: string;
  readonly deviceId: string;
  readonly siteId: string;
  readonly zoneId: string;
  readonly severity: Severity;
  readonly atMs: number;
  readonly lastSeenMs: number;
  readonly message: string;
}

/** Resolve the device's unresolved silence alert, acknowledged or not, at the event time it spoke again. */
export interface SilenceResolveAction {
  readonly type: 'resolve';
  readonly ruleId: string;
  readonly deviceId: string;
  readonly atMs: number;
}

export type SilenceAction = SilenceOpenAction | SilenceResolveAction;

/**
 * The devices that have gone silent and have no silence alert yet: newest reading strictly older than
 * `referenceMs - silentMs`. `referenceMs` is the stream's current event time for the partition the
 * devices belong to (supplied by the caller), not the wall clock, so a replay or a paused simulator
 * does not make every device look silent.
 *
 * One alert per silence: a silence runs from the device's newest reading (`lastSeenMs`) until its next
 * one, and its alert opens at `lastSeenMs + silentMs`. A person who resolves that alert has dismissed this
 * silence, so a device whose person-resolved alert opened at or after that instant is skipped until it
 * speaks again and a new silence begins. Result in the order of `devices`.
 */
export function findSilentDevices(
  rule: SilenceRule,
  devices: readonly DeviceLiveness[],
  referenceMs: number,
): SilenceOpenAction[] {
  return devices
    .filter(
      (device) =>
        !device.hasOpenAlert &&
        device.lastSeenMs < referenceMs - rule.silentMs &&
        !dismissed(device, device.lastSeenMs + rule.silentMs),
    )
    .map((device) => ({
      type: 'open',
      ruleId: rule.id,
      deviceId: device.deviceId,
      siteId: device.siteId,
      zoneId: device.zoneId,
      severity: rule.severity,
      atMs: device.lastSeenMs + rule.silentMs,
      lastSeenMs: device.lastSeenMs,
      message: renderMessage(rule.message ?? DEFAULT_SILENCE_MESSAGE, {
        ruleId: rule.id,
        deviceId: device.deviceId,
        siteId: device.siteId,
        zoneId: device.zoneId,
        severity: rule.severity,
        silentFor: formatDurationMs(rule.silentMs),
        lastSeen: new Date(device.lastSeenMs).toISOString(),
      }),
    }));
}

/** A person resolved the alert of the silence that began to count at `silentAtMs`. */
function dismissed(device: DeviceLiveness, silentAtMs: number): boolean {
  return device.personResolvedOpenedAtMs !== null && device.personResolvedOpenedAtMs >= silentAtMs;
}

/**
 * A device with an unresolved silence alert has sent readings again: resolve at the event time of the
 * first of them (any new reading counts, even a late one, since it proves the device is alive). Null
 * when the device has no such alert.
 */
export function resolveSilence(
  rule: SilenceRule,
  device: Pick<DeviceLiveness, 'deviceId' | 'hasOpenAlert'>,
  firstNewReadingMs: number,
): SilenceResolveAction | null {
  if (!device.hasOpenAlert) return null;
  return { type: 'resolve', ruleId: rule.id, deviceId: device.deviceId, atMs: firstNewReadingMs };
}

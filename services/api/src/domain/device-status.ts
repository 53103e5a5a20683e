export type DeviceStatus = 'online' | 'silent';

/**
 * A device is silent when its newest reading is more than `silentAfterMs` older than the newest reading of
 * any device of its site. Event time against event time, like the processor's silence rule: replaying a
 * day of history does not mark every device silent, and a site that stops sending altogether keeps its
 * last picture rather than turning all grey (its devices' alerts say more).
 */
export function deviceStatus(lastSeenMs: number, siteNewestMs: number, silentAfterMs: number): DeviceStatus {
  return siteNewestMs - lastSeenMs > silentAfterMs ? 'silent' : 'online';
}

import { ALERT_SEVERITIES, type AlertSeverity } from '@telemetry-pulse/shared/core';
import type { QuietHours } from './config';

const DAY_S = 86_400;

/**
 * When quiet hours hold at `nowMs`, the instant they end (ms), else null. The window is [start, end) in
 * local time of its zone and may wrap midnight (22:00-07:00). Alerts at or above `except_severity` are
 * never held.
 */
export function quietUntil(q: QuietHours, severity: AlertSeverity, nowMs: number): number | null {
  if (q.except_severity && rank(severity) >= rank(q.except_severity)) return null;
  const start = minutes(q.start) * 60;
  const end = minutes(q.end) * 60;
  const now = localSecondOfDay(nowMs, q.time_zone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  const waitS = (end - now + DAY_S) % DAY_S;
  let until = Math.floor(nowMs / 1000) * 1000 + waitS * 1000;
  // A clock change inside the wait moves local time by its size (either way): correct by the difference.
  let drift = (end - localSecondOfDay(until, q.time_zone) + DAY_S) % DAY_S;
  if (drift > DAY_S / 2) drift -= DAY_S;
  until += drift * 1000;
  return until;
}

/** Seconds since local midnight in `timeZone`. */
export function localSecondOfDay(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 3600 + get('minute') * 60 + get('second');
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const rank = (s: AlertSeverity): number => ALERT_SEVERITIES.indexOf(s);

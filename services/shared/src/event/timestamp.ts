/**
 * Event-time parsing. `ts_event` arrives as ISO-8601 text (the Python original sent
 * `datetime.isoformat()`, sometimes without an offset, meaning UTC) or as epoch milliseconds.
 */

/** Earliest and latest instants accepted at all (2000-01-01 .. 2100-01-01, UTC). */
export const MIN_EVENT_MS = Date.UTC(2000, 0, 1);
export const MAX_EVENT_MS = Date.UTC(2100, 0, 1);

// date, 'T' or ' ', time with optional seconds and fraction, optional Z or ±HH[:MM]
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export type TimestampResult = { ok: true; ms: number } | { ok: false; reason: string };

/** Parses an ISO-8601 date-time; no offset means UTC. Fractions beyond milliseconds are truncated. */
export function parseIsoTimestamp(text: string): TimestampResult {
  const ms = isoTimestampMs(text);
  return Number.isNaN(ms) ? parseIsoTimestampByPattern(text) : checkBounds(ms);
}

/**
 * The instant of an ISO-8601 date-time exactly as {@link parseIsoTimestamp} reads it (same grammar, same
 * ranges, bounds not applied), or NaN for text it refuses. Read character by character: the regular
 * expression's match array, its substrings and the result object were, per reading, most of what parsing a
 * timestamp cost the processor. A property test holds it to the regular expression.
 */
export function isoTimestampMs(text: string): number {
  const n = text.length;
  if (n < 16 || n > 40) return Number.NaN;
  const century = twoDigits(text, 0);
  const yy = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const sep = text.charCodeAt(10);
  if (
    century < 0 ||
    yy < 0 ||
    month < 0 ||
    day < 0 ||
    hour < 0 ||
    minute < 0 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(13) !== COLON ||
    (sep !== UPPER_T && sep !== SPACE)
  ) {
    return Number.NaN;
  }
  let i = 16;
  let second = 0;
  let millis = 0;
  if (text.charCodeAt(i) === COLON) {
    second = twoDigits(text, i + 1);
    if (second < 0) return Number.NaN;
    i += 3;
    const mark = text.charCodeAt(i);
    if (mark === DOT || mark === COMMA) {
      i += 1;
      let digits = 0;
      for (let d = digitAt(text, i); d >= 0 && digits < 9; d = digitAt(text, i)) {
        if (digits < 3) millis = millis * 10 + d;
        digits += 1;
        i += 1;
      }
      if (digits === 0) return Number.NaN;
      for (let pad = digits; pad < 3; pad++) millis *= 10;
    }
  }
  let offsetMin = 0;
  if (i < n) {
    const zone = text.charCodeAt(i);
    if (zone === UPPER_Z || zone === LOWER_Z) {
      i += 1;
    } else if (zone === PLUS || zone === DASH) {
      const oh = twoDigits(text, i + 1);
      if (oh < 0) return Number.NaN;
      i += 3;
      let om = 0;
      if (i < n) {
        if (text.charCodeAt(i) === COLON) i += 1;
        om = twoDigits(text, i);
        if (om < 0) return Number.NaN;
        i += 2;
      }
      if (oh > 18 || om > 59) return Number.NaN;
      offsetMin = (zone === DASH ? -1 : 1) * (oh * 60 + om);
    } else {
      return Number.NaN;
    }
  }
  if (i !== n || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const year = century * 100 + yy;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > maxDay) return Number.NaN;
  // Date.UTC reads years 0-99 as 1900-1999; those are out of bounds anyway, so only its reading matters.
  const days =
    year < 100 ? Math.floor(Date.UTC(year, month - 1, day) / DAY_MS) : daysFromCivil(year, month, day);
  return days * DAY_MS + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 + millis;
}

const DAY_MS = 86_400_000;

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil): integer arithmetic,
 * a third of what Date.UTC cost per reading.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1; // from March 1st
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const [DASH, COLON, DOT, COMMA, PLUS, SPACE] = [45, 58, 46, 44, 43, 32];
const [UPPER_T, UPPER_Z, LOWER_Z] = [84, 90, 122];

/** The decimal digit at `i`, or -1 (past the end included: charCodeAt gives NaN there). */
function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

function twoDigits(text: string, i: number): number {
  const a = digitAt(text, i);
  const b = digitAt(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * The reference reading of an ISO-8601 date-time, by regular expression, with the reason for a refusal:
 * {@link parseIsoTimestamp} uses it to explain what {@link isoTimestampMs} refused, and tests hold the two
 * to the same instants.
 */
export function parseIsoTimestampByPattern(text: string): TimestampResult {
  if (text.length > 40) return { ok: false, reason: 'timestamp text longer than 40 characters' };
  const m = ISO_RE.exec(text);
  if (!m) return { ok: false, reason: 'not an ISO-8601 date-time (YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM])' };
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12) return { ok: false, reason: 'month out of range' };
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > maxDay) return { ok: false, reason: 'day out of range' };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'time of day out of range' };
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 18 || om > 59) return { ok: false, reason: 'UTC offset out of range' };
    offsetMin = sign * (oh * 60 + om);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMin * 60_000;
  return checkBounds(ms);
}

/** Epoch milliseconds; an epoch-seconds value lands in 1970 and is refused with a hint. */
export function parseEpochMillis(value: number): TimestampResult {
  if (!Number.isFinite(value) || !Number.isInteger(value)) {
    return { ok: false, reason: 'numeric timestamp must be an integer number of epoch milliseconds' };
  }
  if (value > 0 && value < MIN_EVENT_MS && value * 1000 >= MIN_EVENT_MS) {
    return { ok: false, reason: 'numeric timestamp looks like epoch seconds; send epoch milliseconds' };
  }
  return checkBounds(value);
}

function checkBounds(ms: number): TimestampResult {
  if (!(ms >= MIN_EVENT_MS && ms < MAX_EVENT_MS)) {
    return { ok: false, reason: 'timestamp outside 2000-01-01..2100-01-01' };
  }
  return { ok: true, ms };
}

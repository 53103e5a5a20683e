import { parseDurationMs, parseIsoTimestamp } from '@telemetry-pulse/shared/core';
import { DLQ_HEADERS } from '../../domain/dlq-headers';
import { headerText, type DeadLetter } from './dead-letter';

/** Which dead letters `list` and `replay` act on; every set field must match. */
export interface DlqFilter {
  /** Upper-case error codes; empty matches every letter. */
  readonly errorCodes: readonly string[];
  /** Inclusive lower bound on the dead letter's Kafka timestamp, epoch ms. */
  readonly sinceMs?: number;
  /** Exclusive upper bound, so `--since A --until B` and `--since B` never both hold a letter. */
  readonly untilMs?: number;
  readonly partition?: number;
}

export function matchesFilter(letter: DeadLetter, filter: DlqFilter): boolean {
  if (filter.partition !== undefined && letter.partition !== filter.partition) return false;
  if (filter.sinceMs !== undefined && letter.timestampMs < filter.sinceMs) return false;
  if (filter.untilMs !== undefined && letter.timestampMs >= filter.untilMs) return false;
  if (filter.errorCodes.length > 0) {
    const code = headerText(letter, DLQ_HEADERS.errorCode)?.toUpperCase();
    if (code === undefined || !filter.errorCodes.includes(code)) return false;
  }
  return true;
}

export type TimeBound = { ok: true; ms: number } | { ok: false; reason: string };

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `--since` / `--until` text: a duration back from `nowMs` (`90m`, `2h`, `7d`), an ISO-8601 date-time
 * (no offset means UTC) or a bare date (midnight UTC). A bare number is refused: it reads as milliseconds
 * to the duration parser but operators mean hours or an epoch, so either guess would be wrong.
 */
export function parseTimeBound(text: string, nowMs: number): TimeBound {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    return { ok: false, reason: 'give a unit (e.g. 2h, 30m, 7d) or an ISO-8601 date-time' };
  }
  const ago = parseDurationMs(trimmed);
  if (ago !== undefined) return { ok: true, ms: nowMs - ago };
  const ts = parseIsoTimestamp(DATE_ONLY.test(trimmed) ? `${trimmed}T00:00Z` : trimmed);
  if (ts.ok) return { ok: true, ms: ts.ms };
  return { ok: false, reason: `must be a duration like 2h or an ISO-8601 date-time (${ts.reason})` };
}

/** Error codes from `--error` values (each possibly a comma list), upper-cased and de-duplicated. */
export function normaliseErrorCodes(values: readonly string[]): string[] {
  const codes = values.flatMap((v) => v.split(',')).map((c) => c.trim().toUpperCase());
  return [...new Set(codes.filter((c) => c.length > 0))];
}

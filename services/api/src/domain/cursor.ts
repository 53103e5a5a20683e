import { MAX_ID_LENGTH, PRINTABLE_RE } from '@telemetry-pulse/shared/core';

/**
 * Opaque keyset cursors: the sort key of the last row of a page, as base64url JSON. Never an OFFSET, so a
 * walk over a growing table neither repeats nor skips rows that were already there.
 */
export type CursorKey = readonly (string | number)[];

/** Encodes a page's last sort key; clients pass it back unchanged as `cursor`. */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Whether `v` could be a key element this API wrote: keys are ids (printable, as long as an event may
 * carry) and whole numbers (epoch milliseconds or microseconds, ids). Anything else would reach
 * PostgreSQL as a value it refuses (a NUL, `1e+300` for a bigint, a timestamp out of range): a 500.
 */
function isKeyElement(v: unknown, type: 'string' | 'number'): boolean {
  if (type === 'number') return typeof v === 'number' && Number.isSafeInteger(v);
  return typeof v === 'string' && v.length <= MAX_ID_LENGTH && PRINTABLE_RE.test(v);
}

/**
 * Decodes a cursor made by {@link encodeCursor} for a key of the given element types; undefined for
 * anything else (tampered, truncated, or made by another route).
 */
export function decodeCursor<const T extends readonly ('string' | 'number')[]>(
  cursor: string,
  types: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== types.length) return undefined;
  const ok = types.every((t, i) => isKeyElement(value[i], t));
  return ok ? (value as { [K in keyof T]: T[K] extends 'number' ? number : string }) : undefined;
}

/**
 * Splits a query result fetched with `limit + 1` rows into the page and the cursor of the next one: the
 * extra row only tells that another page exists.
 */
export function paginate<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => CursorKey,
): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/**
 * PostgreSQL array literals for the bulk statements' unnest() parameters, written straight from the rows.
 * node-postgres turns a JS array into the same text, but runs two regular-expression replaces on every
 * element and needs an array per column first: for a 4,000-reading batch that was an eighth of the
 * processor's CPU. Text elements are always double-quoted (so empty strings, spaces, commas, braces and the
 * word NULL stay text), with backslash and double quote escaped; a null element is NULL.
 */

const NEEDS_ESCAPE = /["\\]/;

export function textArray<T>(items: readonly T[], get: (item: T) => string | null): string {
  let out = '{';
  for (let i = 0; i < items.length; i += 1) {
    if (i > 0) out += ',';
    const v = get(items[i] as T);
    out += v === null ? 'NULL' : `"${NEEDS_ESCAPE.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;
  }
  return `${out}}`;
}

/** Finite numbers as JavaScript prints them (shortest round-trip form, which float8 and int parse exactly). */
export function numberArray<T>(items: readonly T[], get: (item: T) => number): string {
  let out = '{';
  for (let i = 0; i < items.length; i += 1) {
    if (i > 0) out += ',';
    const v = get(items[i] as T);
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number for a PostgreSQL array: ${v}`);
    out += String(v);
  }
  return `${out}}`;
}

/**
 * Fields of PostgreSQL's COPY text format (tab-separated, one row per line, \N for NULL): backslash, tab,
 * newline and carriage return are escaped, so any string arrives as it was, including one that reads "\N".
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyText(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c) : value;
}

/** Finite numbers as JavaScript prints them (shortest round-trip form, which float8 parses exactly). */
export function copyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number for COPY: ${value}`);
  return String(value);
}

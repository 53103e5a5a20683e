/** Row conversions shared by the query modules: pg gives Date for timestamptz, the API speaks ISO-8601. */
export function iso(d: Date): string {
  return d.toISOString();
}

/** {@link iso} for nullable columns. */
export function isoOrNull(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

/** `undefined` (absent filter) as SQL NULL, which each query reads as "no filter". */
export function orNull<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}

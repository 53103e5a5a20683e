/**
 * Making text safe to show and to store. PostgreSQL `text` refuses NUL (SQLSTATE 22021), and a JavaScript
 * string may hold lone UTF-16 surrogates, which have no UTF-8 form (the driver would silently turn them into
 * U+FFFD). Error texts quote the bytes they choke on (`JSON.parse` puts the raw characters into its
 * message), so whatever a producer sent can end up in one.
 */

const CONTROL_OR_LONE_SURROGATE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NUL_OR_LONE_SURROGATE =
  // eslint-disable-next-line no-control-regex
  /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line of printable text: control characters and lone surrogates written as `\uXXXX`. */
export function printableText(text: string): string {
  return text.replace(CONTROL_OR_LONE_SURROGATE, escapeChar);
}

/**
 * Text PostgreSQL stores unchanged: NUL and lone surrogates written as `\uXXXX`; everything else (line
 * breaks, tabs) is kept.
 */
export function storableText(text: string): string {
  return text.replace(NUL_OR_LONE_SURROGATE, escapeChar);
}

/** Bytes as hex pairs, for naming what a message starts with (`00 00 00 00 2a`). */
export function hexPreview(bytes: Uint8Array, max = 8): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} …` : shown;
}

/** Offset of the first byte that breaks UTF-8 (overlong, surrogate, out of range, truncated), or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

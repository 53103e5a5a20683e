/** A key, value or header shown to an operator: UTF-8 text when it is valid UTF-8, base64 otherwise. */
export interface DecodedBytes {
  readonly encoding: 'utf8' | 'base64';
  readonly text: string;
}

// fatal: invalid sequences throw instead of becoming U+FFFD, which would show bytes that are not there;
// ignoreBOM: a leading BOM is part of the message and stays visible.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeBytes(bytes: Uint8Array): DecodedBytes {
  try {
    return { encoding: 'utf8', text: UTF8.decode(bytes) };
  } catch {
    return { encoding: 'base64', text: Buffer.from(bytes).toString('base64') };
  }
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- as above, minus tab and line feed
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Writes control characters as `\u001b`, so text from a dead letter can neither forge lines of the
 * output nor send escape sequences to the terminal. `keepLayout` leaves tabs and line feeds (full values).
 */
export function escapeControls(text: string, keepLayout = false): string {
  const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return text.replace(keepLayout ? CONTROL_BUT_LAYOUT : CONTROL, escape);
}

/** A one-line preview for `list`: whitespace runs become one space, then cut to `maxChars` code points. */
export function previewBytes(bytes: Uint8Array | null, maxChars: number): string {
  if (bytes === null) return '<null>';
  if (bytes.length === 0) return '<empty>';
  const decoded = decodeBytes(bytes);
  if (decoded.encoding === 'base64') return `<binary, ${bytes.length} bytes>`;
  const chars = [...escapeControls(decoded.text.replace(/\s+/g, ' ').trim())];
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : chars.join('');
}

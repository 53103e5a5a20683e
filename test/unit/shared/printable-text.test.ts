import fc from 'fast-check';
import {
  hexPreview,
  invalidUtf8Offset,
  parseEvent,
  printableText,
  storableText,
} from '@telemetry-pulse/shared/core';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 2_000);
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether PostgreSQL `text` stores this unchanged: no NUL, and valid UTF-16 (so valid UTF-8 on the wire). */
const storable = (s: string): boolean => !s.includes('\u0000') && !LONE_SURROGATE.test(s);

describe('printable and storable text', () => {
  it('escapes NUL, control characters and lone surrogates, and keeps pairs and ordinary text', () => {
    expect(printableText('a\u0000b\u001fc\u007fd\ud800e\udc00f😀')).toBe(
      'a\\u0000b\\u001fc\\u007fd\\ud800e\\udc00f😀',
    );
    expect(storableText('line 1\nline 2\u0000 \ud83d')).toBe('line 1\nline 2\\u0000 \\ud83d');
  });

  it('always yields storable text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(storable(storableText(s))).toBe(true);
        const p = printableText(s);
        expect(storable(p) && !CONTROL.test(p)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('finds the first byte that breaks UTF-8 exactly where a strict decoder fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const at = invalidUtf8Offset(bytes);
        let valid = true;
        try {
          UTF8.decode(bytes);
        } catch {
          valid = false;
        }
        expect(at === -1).toBe(valid);
        // The prefix before the reported byte decodes; so it is the first bad one.
        if (at >= 0) expect(() => UTF8.decode(bytes.subarray(0, at))).not.toThrow();
      }),
      { numRuns: NUM_RUNS },
    );
    expect(invalidUtf8Offset(Buffer.from('ok é 😀'))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(invalidUtf8Offset(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // an encoded surrogate
    expect(invalidUtf8Offset(Buffer.from([0x61, 0x62, 0xf0, 0x9f]))).toBe(2); // truncated
  });

  it('previews bytes as hex', () => {
    expect(hexPreview(Buffer.from([0, 0, 0, 0, 42, 123]))).toBe('00 00 00 00 2a 7b');
    expect(hexPreview(Buffer.alloc(10), 2)).toBe('00 00 …');
  });
});

/**
 * Regression (issue 14, item 1): JSON.parse quoted a NUL it choked on in its error text, the text went to
 * dead_letters.error_message, PostgreSQL refused it (22021) and the batch was never committed.
 */
describe('regression: parse errors quoted the NUL bytes of the message', () => {
  const event = JSON.stringify({
    event_id: '3f2b8c1e-9a4d-4c6e-8f00-1a2b3c4d5e6f',
    device_id: 'dev-1',
    site_id: 's',
    zone_id: 'z',
    sensor_type: 'co2',
    value: 600,
    ts_event: '2026-01-01T00:00:00Z',
  });
  const confluent = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from(event)]);
  const apicurio = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 7]), Buffer.from(event)]);

  it.each<[string, Buffer]>([
    ['Confluent framing (magic 0x00, 4-byte schema id)', confluent],
    ['Apicurio framing (magic 0x00, 8-byte global id)', apicurio],
    ['NUL before the JSON', Buffer.from(`\u0000${event}`)],
    ['NUL between tokens', Buffer.from(event.replace('"value":', '"value":\u0000'))],
    ['NUL after the JSON', Buffer.from(`${event}\u0000`)],
    ['a raw NUL inside a string', Buffer.from(event.replace('dev-1', 'dev\u00001'))],
    ['a raw control character between tokens', Buffer.from(event.replace(',', ',\u0001'))],
  ])('%s: INVALID_JSON with a printable, storable message', (_name, bytes) => {
    const r = parseEvent(bytes);
    expect(r).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    if (r.ok) return;
    expect(CONTROL.test(r.message)).toBe(false);
    expect(storable(r.message)).toBe(true);
  });

  it('names schema-registry framing', () => {
    const r = parseEvent(confluent);
    expect(r.ok ? '' : r.message).toMatch(/zero byte \(00 00 00 00 2a 7b .*\).*schema-registry framing/);
  });

  it('refuses invalid UTF-8 instead of turning it into U+FFFD (two devices would become one)', () => {
    const bytes = Buffer.concat([
      Buffer.from(event.slice(0, event.indexOf('dev-1') + 3)),
      Buffer.from([0xff]),
      Buffer.from(event.slice(event.indexOf('dev-1') + 4)),
    ]);
    const r = parseEvent(bytes);
    expect(r).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    expect(r.ok ? '' : r.message).toBe(
      `message is not valid UTF-8: byte ${event.indexOf('dev-1') + 3} (ff 31 22 2c …) breaks it`,
    );
    // Valid multi-byte text is still read.
    expect(parseEvent(Buffer.from(event.replace('dev-1', 'dév-😀'))).ok).toBe(true);
  });

  it('gives a printable message for any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        const r = parseEvent(Buffer.from(bytes));
        if (!r.ok) expect(storable(r.message) && !CONTROL.test(r.message)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

import {
  decodeBytes,
  escapeControls,
  previewBytes,
} from '../../../../services/processor/src/dlq/domain/bytes';
import type { DeadLetter } from '../../../../services/processor/src/dlq/domain/dead-letter';
import {
  formatInspect,
  formatListLine,
  formatListSummary,
  letterToJson,
} from '../../../../services/processor/src/dlq/domain/format';
import { createProgressLine } from '../../../../services/processor/src/dlq/commands/progress';
import {
  formatDecision,
  formatReplaySummary,
} from '../../../../services/processor/src/dlq/domain/replay-report';
import { emptyTally } from '../../../../services/processor/src/dlq/domain/replay';

const BINARY = Buffer.from([0xff, 0xfe, 0x00, 0x01]);

function letter(value: Buffer | null, extra: Record<string, Buffer> = {}): DeadLetter {
  return {
    partition: 1,
    offset: '42',
    timestampMs: Date.UTC(2025, 5, 1, 10, 0, 0),
    key: Buffer.from('dev-7'),
    value,
    headers: {
      'x-error-code': Buffer.from('INVALID_JSON'),
      'x-original-topic': Buffer.from('telemetry.events'),
      'x-original-partition': Buffer.from('3'),
      'x-original-offset': Buffer.from('1234'),
      ...extra,
    },
  };
}

describe('bytes', () => {
  it('decodes valid UTF-8 as text and anything else as base64', () => {
    expect(decodeBytes(Buffer.from('héllo ✓'))).toEqual({ encoding: 'utf8', text: 'héllo ✓' });
    expect(decodeBytes(BINARY)).toEqual({ encoding: 'base64', text: '//4AAQ==' });
  });

  it('escapes control characters so a value cannot forge lines or drive the terminal', () => {
    expect(escapeControls('a\nb\u001b[31m')).toBe('a\\u000ab\\u001b[31m');
    expect(escapeControls('a\n\tb\u0007', true)).toBe('a\n\tb\\u0007');
  });

  it('previews on one line, cut with an ellipsis', () => {
    expect(previewBytes(Buffer.from('{"a":\n  1}'), 80)).toBe('{"a": 1}');
    expect(previewBytes(Buffer.from('x'.repeat(100)), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(previewBytes(BINARY, 80)).toBe('<binary, 4 bytes>');
    expect(previewBytes(null, 80)).toBe('<null>');
    expect(previewBytes(Buffer.alloc(0), 80)).toBe('<empty>');
  });
});

describe('list output', () => {
  it('shows address, time, code, origin, replay count and preview on one line', () => {
    const line = formatListLine(letter(Buffer.from('{"event_id":'), { 'x-replay-count': Buffer.from('2') }));
    expect(line).toBe(
      '1:42      2025-06-01T10:00:00.000Z  INVALID_JSON        telemetry.events/3@1234  replays=2  {"event_id":',
    );
  });

  it('marks missing origin headers and an unreadable replay count', () => {
    const l: DeadLetter = { ...letter(null), headers: { 'x-replay-count': Buffer.from('x\ny') } };
    expect(formatListLine(l)).toMatch(/Z {2}\? +\?\/\?@\? {2}replays=invalid\(x\\u000ay\) {2}<null>$/);
  });

  it('emits JSON with every header, and says which values are base64', () => {
    const json = letterToJson(letter(BINARY, { blob: BINARY }), 'dlq');
    expect(json).toMatchObject({
      topic: 'dlq',
      partition: 1,
      offset: '42',
      timestamp: '2025-06-01T10:00:00.000Z',
      errorCode: 'INVALID_JSON',
      original: { topic: 'telemetry.events', partition: 3, offset: '1234' },
      replayCount: 0,
      key: 'dev-7',
      keyEncoding: 'utf8',
      value: '//4AAQ==',
      valueEncoding: 'base64',
      base64Headers: ['blob'],
    });
  });

  it('summarises by error code, largest first, and says when the listing was cut', () => {
    const text = formatListSummary({
      read: 10,
      total: 10,
      matched: 6,
      shown: 2,
      byCode: new Map([
        ['INVALID_JSON', 1],
        ['SCHEMA_VIOLATION', 5],
      ]),
    });
    expect(text).toBe(
      [
        '6 of 10 dead letters matched; showing the first 2 (--limit 0 shows all).',
        'By error code:',
        '  SCHEMA_VIOLATION  5',
        '  INVALID_JSON      1',
      ].join('\n'),
    );
    expect(formatListSummary({ read: 4, total: 9, matched: 0, shown: 0, byCode: new Map() })).toBe(
      '0 of 4 dead letters matched (stopped after 4 of 9).',
    );
  });
});

describe('inspect output', () => {
  it('prints headers, key and value, with base64 and a note when not UTF-8', () => {
    const text = formatInspect(letter(BINARY, { traceparent: Buffer.from('00-1') }), 'telemetry.events.dlq');
    expect(text).toContain('Dead letter telemetry.events.dlq 1:42\n');
    expect(text).toContain('Headers (5):\n  x-error-code          INVALID_JSON\n');
    expect(text).toContain('  traceparent           00-1\n');
    expect(text).toContain('Key (5 bytes, UTF-8):\ndev-7\n');
    expect(text).toMatch(/Value \(4 bytes, base64; not valid UTF-8\):\n\/\/4AAQ==$/);
  });

  it('keeps the layout of a text value', () => {
    expect(formatInspect(letter(Buffer.from('{\n  "a": 1\n}')), 'd')).toMatch(
      /UTF-8\):\n\{\n {2}"a": 1\n\}$/,
    );
  });
});

describe('replay output', () => {
  const l = letter(Buffer.from('{}'));

  it('reports a skip with its reason, and a replay with target and new count', () => {
    expect(
      formatDecision(
        l,
        { action: 'skip', reason: 'replay-limit', detail: 'already replayed 3 times' },
        false,
      ),
    ).toBe('skipped 1:42  replay-limit: already replayed 3 times');
    const replay = { action: 'replay', targetTopic: 't', replayCount: 2, headers: {} } as const;
    expect(formatDecision(l, replay, true)).toBe('would replay 1:42 -> t  (x-replay-count 2)');
    expect(formatDecision(l, replay, false)).toBe('replayed 1:42 -> t  (x-replay-count 2)');
  });

  it('summarises replayed and skipped by reason', () => {
    const tally = { ...emptyTally(), read: 9, matched: 6, replayed: 4 };
    tally.skipped['replay-limit'] = 1;
    tally.skipped['target-missing'] = 1;
    expect(formatReplaySummary(tally, 9, false)).toBe(
      'replayed 4, skipped 2 (replay-limit 1, target-missing 1); 6 of 9 dead letters matched.',
    );
    expect(formatReplaySummary({ ...emptyTally(), read: 3 }, 5, true)).toBe(
      'dry run: would replay 0, skipped 0; 0 of 3 dead letters matched (stopped after 3 of 5); nothing was sent.',
    );
  });
});

describe('createProgressLine', () => {
  it('stays quiet during the first interval, then writes at most once per interval', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createProgressLine({ everyMs: 2000, now: () => t, write: (s) => lines.push(s) });
    for (t = 0; t <= 5000; t += 500) p.update(() => `at ${t}`);
    expect(lines).toEqual(['at 2000', 'at 4000']);
  });
});

import {
  matchesFilter,
  normaliseErrorCodes,
  parseTimeBound,
} from '../../../../services/processor/src/dlq/domain/filter';
import type { DeadLetter } from '../../../../services/processor/src/dlq/domain/dead-letter';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

function letter(over: Partial<DeadLetter> & { code?: string } = {}): DeadLetter {
  const { code = 'SCHEMA_VIOLATION', ...rest } = over;
  return {
    partition: 0,
    offset: '7',
    timestampMs: NOW - 60_000,
    key: Buffer.from('dev-1'),
    value: Buffer.from('{}'),
    headers: { 'x-error-code': Buffer.from(code) },
    ...rest,
  };
}

describe('parseTimeBound', () => {
  it.each([
    ['2h', NOW - 7_200_000],
    ['90m', NOW - 5_400_000],
    ['7d', NOW - 7 * 86_400_000],
    ['2025-06-01T10:30:00Z', Date.UTC(2025, 5, 1, 10, 30)],
    ['2025-06-01T12:30+02:00', Date.UTC(2025, 5, 1, 10, 30)],
    ['2025-06-01T10:30', Date.UTC(2025, 5, 1, 10, 30)], // no offset: UTC
    ['2025-05-31', Date.UTC(2025, 4, 31)],
  ])('reads %s', (text, ms) => {
    expect(parseTimeBound(text, NOW)).toEqual({ ok: true, ms });
  });

  it.each(['yesterday', '2025-13-01', '2h ago', ''])('refuses %j with a reason', (text) => {
    const b = parseTimeBound(text, NOW);
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.reason).toMatch(/duration like 2h or an ISO-8601/);
  });

  it('refuses a bare number instead of guessing milliseconds, hours or an epoch', () => {
    expect(parseTimeBound('24', NOW)).toEqual({ ok: false, reason: expect.stringContaining('give a unit') });
  });
});

describe('matchesFilter', () => {
  const none = { errorCodes: [] };

  it('matches everything without criteria', () => {
    expect(matchesFilter(letter(), none)).toBe(true);
    expect(matchesFilter(letter({ headers: {} }), none)).toBe(true);
  });

  it('matches any of the error codes; a letter without a code matches none', () => {
    const f = { errorCodes: ['INVALID_JSON', 'SCHEMA_VIOLATION'] };
    expect(matchesFilter(letter(), f)).toBe(true);
    expect(matchesFilter(letter({ code: 'schema_violation' }), f)).toBe(true);
    expect(matchesFilter(letter({ code: 'FUTURE_EVENT_TIME' }), f)).toBe(false);
    expect(matchesFilter(letter({ headers: {} }), f)).toBe(false);
  });

  it('treats --since as inclusive and --until as exclusive, on the Kafka timestamp', () => {
    const at = letter().timestampMs;
    expect(matchesFilter(letter(), { ...none, sinceMs: at })).toBe(true);
    expect(matchesFilter(letter(), { ...none, sinceMs: at + 1 })).toBe(false);
    expect(matchesFilter(letter(), { ...none, untilMs: at })).toBe(false);
    expect(matchesFilter(letter(), { ...none, untilMs: at + 1 })).toBe(true);
  });

  it('matches the partition', () => {
    expect(matchesFilter(letter({ partition: 2 }), { ...none, partition: 2 })).toBe(true);
    expect(matchesFilter(letter({ partition: 1 }), { ...none, partition: 2 })).toBe(false);
  });

  it('needs every criterion to hold', () => {
    const f = { errorCodes: ['SCHEMA_VIOLATION'], partition: 0, sinceMs: NOW - 120_000, untilMs: NOW };
    expect(matchesFilter(letter(), f)).toBe(true);
    expect(matchesFilter(letter({ code: 'INVALID_JSON' }), f)).toBe(false);
    expect(matchesFilter(letter({ timestampMs: NOW }), f)).toBe(false);
  });
});

describe('normaliseErrorCodes', () => {
  it('splits comma lists, trims, upper-cases and de-duplicates', () => {
    expect(normaliseErrorCodes(['schema_violation, INVALID_JSON', 'Schema_Violation', ' ,'])).toEqual([
      'SCHEMA_VIOLATION',
      'INVALID_JSON',
    ]);
  });
});

import fc from 'fast-check';
import {
  isoTimestampMs,
  MAX_EVENT_MS,
  MIN_EVENT_MS,
  parseIsoTimestamp,
  parseIsoTimestampByPattern,
} from '@telemetry-pulse/shared/core';

/**
 * The processor reads `ts_event` with a hand-written scanner (isoTimestampMs) instead of the regular
 * expression (parseIsoTimestampByPattern), which stays as the reference and explains refusals. A reading
 * must get the same instant, and the same verdict, whichever reads it.
 */
const NUM_RUNS = Math.max(20_000, Number(process.env.FC_NUM_RUNS ?? 20_000));
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const params = { numRuns: NUM_RUNS, seed: SEED };

beforeAll(() => {
  // Printed on purpose: the seed is how a failure found here is replayed.
  console.log(`ISO timestamp scanner: ${NUM_RUNS} runs per property, seed ${SEED} (replay: FC_SEED=${SEED})`);
});

/** The scanner's verdict in the reference's terms: bounds applied, reasons left out. */
function scanned(text: string): { ok: true; ms: number } | { ok: false } {
  const ms = isoTimestampMs(text);
  return Number.isNaN(ms) || !(ms >= MIN_EVENT_MS && ms < MAX_EVENT_MS) ? { ok: false } : { ok: true, ms };
}

function reference(text: string): { ok: true; ms: number } | { ok: false } {
  const r = parseIsoTimestampByPattern(text);
  return r.ok ? r : { ok: false };
}

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** Nine times in ten a piece the grammar allows, else a near miss: most strings are close calls. */
const mostly = (valid: fc.Arbitrary<string>, miss: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: miss });
const twoDigits = (from: number, to: number): fc.Arbitrary<string> =>
  fc.integer({ min: from, max: to }).map((n) => String(n).padStart(2, '0'));

/** Pieces of the grammar joined; the field values straddle their ranges (month 13, second 60, ...). */
const nearIso: fc.Arbitrary<string> = fc
  .tuple(
    mostly(
      fc
        .oneof(
          { weight: 3, arbitrary: fc.integer({ min: 1998, max: 2101 }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 9999 }) },
        )
        .map((y) => String(y).padStart(4, '0')),
      digits(3, 5),
    ),
    mostly(fc.constant('-'), fc.constantFrom('/', '')),
    mostly(twoDigits(0, 13), digits(1, 3)),
    mostly(fc.constant('-'), fc.constantFrom('/', '')),
    mostly(twoDigits(0, 32), digits(1, 3)),
    mostly(fc.constantFrom('T', ' '), fc.constantFrom('t', 'X', '')),
    mostly(twoDigits(0, 24), digits(1, 3)),
    mostly(fc.constant(':'), fc.constantFrom('', '.')),
    mostly(twoDigits(0, 60), digits(1, 3)),
    fc.oneof(
      fc.constant(''),
      fc
        .tuple(mostly(fc.constant(':'), fc.constant('')), mostly(twoDigits(0, 60), digits(1, 3)))
        .map(([c, sec]) => c + sec),
    ),
    fc.oneof(
      fc.constant(''),
      fc
        .tuple(mostly(fc.constantFrom('.', ','), fc.constant(';')), mostly(digits(1, 9), digits(0, 11)))
        .map(([c, f]) => c + f),
    ),
    mostly(
      fc.oneof(
        fc.constantFrom('', 'Z', 'z'),
        fc
          .tuple(fc.constantFrom('+', '-'), twoDigits(0, 19), fc.constantFrom(':', ''), twoDigits(0, 60))
          .map((p) => p.join('')),
        fc.tuple(fc.constantFrom('+', '-'), twoDigits(0, 19)).map((p) => p.join('')),
      ),
      fc
        .tuple(
          fc.constantFrom('+', '-', '', 'UTC'),
          digits(0, 3),
          fc.constantFrom(':', '', '::'),
          digits(0, 3),
        )
        .map((p) => p.join('')),
    ),
    mostly(fc.constant(''), fc.string({ maxLength: 3 })),
  )
  .map((parts) => parts.join(''));

describe('ISO-8601 event times: the scanner reads what the regular expression reads', () => {
  it('gives the same instant and verdict on near-ISO text', () => {
    let accepted = 0;
    fc.assert(
      fc.property(nearIso, (text) => {
        const verdict = reference(text);
        if (verdict.ok) accepted += 1;
        expect(scanned(text)).toEqual(verdict);
      }),
      params,
    );
    // The generator is useful only if both verdicts are common.
    expect(accepted).toBeGreaterThan(NUM_RUNS / 20);
    expect(accepted).toBeLessThan(NUM_RUNS * 0.9);
  });

  it('gives the same verdict on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 45 }), (text) => {
        expect(scanned(text)).toEqual(reference(text));
      }),
      params,
    );
  });

  it('reads every instant the services write, and Python isoformat() with and without an offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_EVENT_MS, max: MAX_EVENT_MS - 1 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(isoTimestampMs(iso)).toBe(ms);
        const python = `${iso.slice(0, 23)}456`; // 2026-12-04T18:00:00.123456
        expect(isoTimestampMs(python)).toBe(ms); // microseconds, no offset: UTC, truncated to ms
        expect(isoTimestampMs(`${python}+00:00`)).toBe(ms);
        expect(isoTimestampMs(`${python}-02:00`)).toBe(ms + 2 * 3_600_000);
      }),
      params,
    );
  });

  it('counts days as Date.UTC does for every year 0000-9999', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 86_399_999 }),
        (year, month, day, msOfDay) => {
          const probe = new Date(Date.UTC(2000, month - 1, day)); // a leap year: every day-of-month exists
          if (probe.getUTCMonth() !== month - 1) return;
          const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
          if (month === 2 && day === 29 && !leap) return;
          const hh = Math.floor(msOfDay / 3_600_000);
          const mm = Math.floor(msOfDay / 60_000) % 60;
          const ss = Math.floor(msOfDay / 1000) % 60;
          const ms = msOfDay % 1000;
          const pad = (n: number, w = 2) => String(n).padStart(w, '0');
          const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hh)}:${pad(mm)}:${pad(ss)}.${pad(ms, 3)}`;
          expect(isoTimestampMs(text)).toBe(Date.UTC(year, month - 1, day, hh, mm, ss, ms));
        },
      ),
      params,
    );
  });

  it('explains what it refuses', () => {
    expect(parseIsoTimestamp('2026-02-29T00:00:00Z')).toEqual({ ok: false, reason: 'day out of range' });
    expect(parseIsoTimestamp('2026-12-04T18:00:00.123456789Z')).toEqual({
      ok: true,
      ms: Date.UTC(2026, 11, 4, 18, 0, 0, 123),
    });
    expect(parseIsoTimestamp('2026-12-04T18:00:00.1234567890Z')).toMatchObject({ ok: false });
    expect(parseIsoTimestamp('1999-12-31T23:59:59Z')).toEqual({
      ok: false,
      reason: 'timestamp outside 2000-01-01..2100-01-01',
    });
  });
});

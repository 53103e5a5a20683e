import fc from 'fast-check';
import { serializeEvent, type TelemetryEvent } from '@telemetry-pulse/shared/core';
import {
  classifyBatch,
  validateRecords,
  type AcceptedReading,
  type InboundRecord,
  type RejectionCode,
  type ValidReading,
} from '../../../services/processor/src/domain/plan-batch';
import {
  advanceOnReadings,
  NEW_CLOCK,
  type Lateness,
  type LatenessPolicy,
  type PartitionClock,
} from '../../../services/processor/src/domain/watermark';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1_000);
const T0 = Date.UTC(2024, 4, 1, 12); // epoch ms; also the processor's wall clock in these tests
const MIN = 60_000; // ms
const HOUR = 60 * MIN;
const SKEW = 10 * MIN; // maxFutureSkewMs default
const PARTITION = 3;
const POLICY: LatenessPolicy = { allowedLatenessMs: 2 * MIN, horizonMs: HOUR, idleAfterMs: 30_000 };

const REJECTION_CODES: readonly RejectionCode[] = [
  'EMPTY_MESSAGE',
  'MESSAGE_TOO_LARGE',
  'INVALID_JSON',
  'SCHEMA_VIOLATION',
  'FUTURE_EVENT_TIME',
];

/** A UUID whose text order follows n. */
function eventId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function event(n: number, tsEventMs: number, patch: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return {
    eventId: eventId(n),
    deviceId: 'dev-1',
    siteId: 'site-1',
    zoneId: 'zone-1',
    sensorType: 'co2',
    value: 612.5,
    tsEventMs,
    unit: 'ppm',
    ...patch,
  };
}

function record(offset: number, value: Buffer | string | null): InboundRecord {
  return {
    offset: String(offset),
    key: null,
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers: {},
    timestampMs: T0,
  };
}

/** Readings at consecutive offsets from 100, each free to move the clock to its event time. */
function readings(events: readonly TelemetryEvent[]): ValidReading[] {
  return events.map((e, i) => ({ event: e, offset: String(100 + i), clockMs: e.tsEventMs }));
}

function latenessById(accepted: readonly AcceptedReading[]): Record<string, Lateness> {
  return Object.fromEntries(accepted.map((r) => [r.eventId, r.lateness]));
}

/** Feeds the readings batch by batch (a new batch where `cuts` says so), threading the clock. */
function classifyInBatches(
  valid: readonly ValidReading[],
  cuts: readonly boolean[],
  clock: PartitionClock,
  policy: LatenessPolicy,
): { accepted: AcceptedReading[]; clock: PartitionClock } {
  const batches: ValidReading[][] = [];
  valid.forEach((v, i) => {
    const last = batches[batches.length - 1];
    if (last && !cuts[i]) last.push(v);
    else batches.push([v]);
  });
  const accepted: AcceptedReading[] = [];
  let current = clock;
  for (const batch of batches) {
    const out = classifyBatch(PARTITION, batch, current, policy);
    accepted.push(...out.accepted);
    current = out.clock;
  }
  return { accepted, clock: current };
}

/** The first occurrence (lowest offset) of each event id. */
function firstOccurrences(accepted: readonly AcceptedReading[]): Map<string, AcceptedReading> {
  const first = new Map<string, AcceptedReading>();
  for (const r of [...accepted].sort((a, b) => Number(a.offset) - Number(b.offset))) {
    if (!first.has(r.eventId)) first.set(r.eventId, r);
  }
  return first;
}

describe('validateRecords', () => {
  const ok = serializeEvent(event(1, T0));
  it.each<[string, Buffer | string | null, RejectionCode | 'valid']>([
    ['a valid event', ok, 'valid'],
    ['an event exactly maxFutureSkewMs ahead', serializeEvent(event(1, T0 + SKEW)), 'valid'],
    [
      'an event a year old (lateness is judged later)',
      serializeEvent(event(1, T0 - 365 * 24 * HOUR)),
      'valid',
    ],
    ['an event 1 ms beyond maxFutureSkewMs', serializeEvent(event(1, T0 + SKEW + 1)), 'FUTURE_EVENT_TIME'],
    ['an event a day ahead', serializeEvent(event(1, T0 + 24 * HOUR)), 'FUTURE_EVENT_TIME'],
    ['a tombstone', null, 'EMPTY_MESSAGE'],
    ['an empty value', Buffer.alloc(0), 'EMPTY_MESSAGE'],
    ['an oversized value', 'x'.repeat(20_000), 'MESSAGE_TOO_LARGE'],
    ['truncated JSON', ok.slice(0, 20), 'INVALID_JSON'],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b]), 'INVALID_JSON'],
    ['a JSON array', '[1,2]', 'SCHEMA_VIOLATION'],
    ['CO2 out of range', serializeEvent(event(1, T0, { value: 10_001 })), 'SCHEMA_VIOLATION'],
  ])('classifies %s as %s', (_name, value, expected) => {
    const { valid, rejected } = validateRecords([record(7, value)], T0, SKEW);
    if (expected === 'valid') {
      expect(rejected).toEqual([]);
      expect(valid).toHaveLength(1);
      expect(valid[0]?.offset).toBe('7');
    } else {
      expect(valid).toEqual([]);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.code).toBe(expected);
      expect(rejected[0]?.record.offset).toBe('7');
    }
  });

  it('says how far ahead a future event is and what the limit is', () => {
    const { rejected } = validateRecords([record(1, serializeEvent(event(1, T0 + HOUR)))], T0, SKEW);
    expect(rejected[0]?.reason).toBe(
      "ts_event 2024-05-01T13:00:00.000Z is more than 600000 ms ahead of the processor's clock",
    );
  });

  it('returns the decoded event with its offset, keeping record order in both outputs', () => {
    const records = [
      record(10, serializeEvent(event(1, T0))),
      record(11, null),
      record(12, serializeEvent(event(2, T0 - MIN))),
      record(13, serializeEvent(event(3, T0 + HOUR))),
      record(14, serializeEvent(event(4, T0 + MIN))),
    ];
    const { valid, rejected } = validateRecords(records, T0, SKEW);
    expect(valid).toEqual([
      { event: event(1, T0), offset: '10', clockMs: T0 },
      { event: event(2, T0 - MIN), offset: '12', clockMs: T0 - MIN },
      { event: event(4, T0 + MIN), offset: '14', clockMs: T0 }, // ahead of the record timestamp
    ]);
    expect(rejected.map((r) => [r.record.offset, r.code])).toEqual([
      ['11', 'EMPTY_MESSAGE'],
      ['13', 'FUTURE_EVENT_TIME'],
    ]);
  });

  it('never throws, whatever the bytes, and sorts every record into exactly one output', () => {
    const validJson = fc
      .record({ n: fc.nat({ max: 1_000 }), dt: fc.integer({ min: -HOUR, max: HOUR }) })
      .map(({ n, dt }) => serializeEvent(event(n, T0 + dt)));
    // a valid event with one field replaced by any JSON value
    const patchedJson = fc
      .tuple(
        validJson,
        fc.constantFrom(
          'event_id',
          'device_id',
          'sensor_type',
          'value',
          'ts_event',
          'unit',
          'schema_version',
        ),
        fc.jsonValue(),
      )
      .map(([json, field, v]) => JSON.stringify({ ...(JSON.parse(json) as object), [field]: v }));
    const value = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      fc.oneof(validJson, patchedJson).map((s) => Buffer.from(s)),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 20 }), fc.nat({ max: 2 * HOUR }), (values, skew) => {
        const records = values.map((v, i) => record(i, v));
        const { valid, rejected } = validateRecords(records, T0, skew);
        expect(valid.length + rejected.length).toBe(records.length);
        const offsets = [...valid.map((v) => v.offset), ...rejected.map((r) => r.record.offset)];
        expect(offsets.sort((a, b) => Number(a) - Number(b))).toEqual(records.map((r) => r.offset));
        for (const r of rejected) expect(REJECTION_CODES).toContain(r.code);
        for (const v of valid) expect(v.event.tsEventMs).toBeLessThanOrEqual(T0 + skew);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('refuses exactly the events stamped more than maxFutureSkewMs ahead of the wall clock', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -HOUR, max: 2 * HOUR }), { maxLength: 20 }),
        fc.oneof(fc.constant(0), fc.nat({ max: HOUR })),
        fc.integer({ min: T0 - 24 * HOUR, max: T0 + 24 * HOUR }),
        (deltas, skew, now) => {
          // deltas relative to now + skew: <= 0 is allowed, > 0 is in the future
          const events = deltas.map((d, i) => event(i, now + skew + d));
          const records = events.map((e, i) => record(i, serializeEvent(e)));
          const { valid, rejected } = validateRecords(records, now, skew);
          expect(valid.map((v) => v.offset)).toEqual(
            records.filter((_r, i) => (deltas[i] ?? 0) <= 0).map((r) => r.offset),
          );
          expect(rejected.map((r) => r.record.offset)).toEqual(
            records.filter((_r, i) => (deltas[i] ?? 0) > 0).map((r) => r.offset),
          );
          for (const r of rejected) expect(r.code).toBe('FUTURE_EVENT_TIME');
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('classifyBatch', () => {
  it('classifies each reading against the clock as advanced by every earlier reading', () => {
    const L = POLICY.allowedLatenessMs;
    const batch = readings([
      event(1, T0), // first reading: no watermark yet
      event(2, T0 + 2 * L), // watermark T0 - L
      event(3, T0 + L - 1), // watermark now T0 + L: 1 ms behind
      event(4, T0 + L), // exactly at the watermark
      event(5, T0 + L - HOUR), // exactly at the horizon
      event(6, T0 + L - HOUR - 1), // 1 ms beyond it
    ]);
    const out = classifyBatch(PARTITION, batch, NEW_CLOCK, POLICY);
    expect(latenessById(out.accepted)).toEqual({
      [eventId(1)]: 'on_time',
      [eventId(2)]: 'on_time',
      [eventId(3)]: 'late',
      [eventId(4)]: 'on_time',
      [eventId(5)]: 'late',
      [eventId(6)]: 'too_late',
    });
    expect(out.clock).toEqual({ maxEventMs: T0 + 2 * L, watermarkMs: T0 + L });
    expect(out.duplicatesInBatch).toBe(0);
  });

  it('starts from the clock it is given', () => {
    const clock = { maxEventMs: T0, watermarkMs: T0 - POLICY.allowedLatenessMs };
    const out = classifyBatch(PARTITION, readings([event(1, T0 - 3 * MIN)]), clock, POLICY);
    expect(out.accepted[0]?.lateness).toBe('late');
    expect(out.clock).toEqual(clock);
  });

  it('returns the given clock for an empty batch', () => {
    const clock = { maxEventMs: T0, watermarkMs: T0 + MIN };
    expect(classifyBatch(PARTITION, [], clock, POLICY)).toEqual({
      accepted: [],
      duplicatesInBatch: 0,
      clock,
    });
  });

  it('keeps the first occurrence of an event id, counts the others as duplicates', () => {
    const a = event(1, T0);
    const b = event(2, T0 + MIN);
    const out = classifyBatch(PARTITION, readings([a, b, a, a, b, event(3, T0)]), NEW_CLOCK, POLICY);
    expect(out.duplicatesInBatch).toBe(3);
    expect(out.accepted.map((r) => [r.eventId, r.offset])).toEqual([
      [eventId(1), '100'],
      [eventId(2), '101'],
      [eventId(3), '105'],
    ]);
  });

  it('returns readings in offset order, first occurrence of each id, each with its partition and offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.uuid(), dt: fc.integer({ min: -2 * HOUR, max: 2 * HOUR }) }), {
          maxLength: 40,
        }),
        (items) => {
          const valid = items.map(({ id, dt }, i) => ({
            event: { ...event(0, T0 + dt), eventId: id },
            offset: String(i),
            clockMs: T0 + dt,
          }));
          const out = classifyBatch(PARTITION, valid, NEW_CLOCK, POLICY);
          const ids = out.accepted.map((r) => r.eventId);
          expect(ids).toEqual([...new Set(items.map((it) => it.id))]);
          expect(out.duplicatesInBatch).toBe(items.length - ids.length);
          for (const r of out.accepted) {
            const first = valid.find((v) => v.event.eventId === r.eventId);
            expect(r).toMatchObject({ ...first?.event, partition: PARTITION, offset: first?.offset });
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives every reading the same lateness, and ends at the same clock, wherever the batch boundaries fall', () => {
    const policyArb = fc.record({
      allowedLatenessMs: fc.constantFrom(0, MIN, 2 * MIN),
      horizonMs: fc.constantFrom(0, 10 * MIN, HOUR),
      idleAfterMs: fc.constant(30_000),
    });
    const clockArb = fc.oneof(
      fc.constant(NEW_CLOCK),
      fc.integer({ min: T0 - HOUR, max: T0 + HOUR }).map((m) => advanceOnReadings(NEW_CLOCK, m, POLICY)),
      // watermark pushed ahead by the idle rule, before any reading
      fc.integer({ min: T0 - HOUR, max: T0 + HOUR }).map((w) => ({ maxEventMs: null, watermarkMs: w })),
    );
    // A partition's records in offset order: a small id pool makes re-sent events (exact duplicates) common.
    const stepArb = fc.record({
      id: fc.nat({ max: 20 }),
      dt: fc.oneof(
        fc.integer({ min: -2 * HOUR, max: 2 * HOUR }),
        fc.integer({ min: -3 * MIN, max: 3 * MIN }),
      ),
      cut: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), policyArb, clockArb, (steps, policy, clock) => {
        const byId = new Map<number, TelemetryEvent>();
        const valid = readings(
          steps.map(({ id, dt }) => {
            const e = byId.get(id) ?? event(id, T0 + dt);
            byId.set(id, e);
            return e;
          }),
        );
        const whole = classifyBatch(PARTITION, valid, clock, policy);
        const split = classifyInBatches(
          valid,
          steps.map((s) => s.cut),
          clock,
          policy,
        );
        expect(split.clock).toEqual(whole.clock);
        const firsts = firstOccurrences(split.accepted);
        expect([...firsts.keys()]).toEqual(whole.accepted.map((r) => r.eventId));
        expect(whole.accepted.map((r) => firsts.get(r.eventId))).toEqual(whole.accepted);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  // Regression: an in-batch duplicate used not to move the clock while the same record in a later batch
  // did, so a producer re-using an event id with another ts_event made lateness depend on batch boundaries.
  it('is boundary-independent even when a re-used event id carries a different event time', () => {
    const valid = readings([event(1, T0), event(1, T0 + 10 * MIN), event(2, T0 + 5 * MIN)]);
    const whole = classifyBatch(PARTITION, valid, NEW_CLOCK, POLICY);
    const split = classifyInBatches(valid, [false, true, false], NEW_CLOCK, POLICY);
    // whole: clock { max T0+5m, wm T0+3m }, event 2 on_time; split: clock { max T0+10m, wm T0+8m }, event 2 late
    expect(split.clock).toEqual(whole.clock);
    expect(firstOccurrences(split.accepted).get(eventId(2))?.lateness).toBe(
      latenessById(whole.accepted)[eventId(2)],
    );
  });
});

// Issue 14, item 4: one device with a fast clock used to drag the partition clock up to 10 min into the
// future, so every honest reading after it was classed late (and every honest device looked silent).
describe('a device with a fast clock', () => {
  const HONEST = 44;
  const FAST_MS = 9 * MIN; // within PROCESSOR_MAX_FUTURE_SKEW (10 min), so accepted

  /** One round of the partition: every honest device at `tsMs`, then the fast device 9 min ahead. */
  function round(n: number, tsMs: number): { event: TelemetryEvent; sentMs: number }[] {
    const honest = Array.from({ length: HONEST }, (_, d) => ({
      event: event(n * 100 + d, tsMs, { deviceId: `dev-${d}` }),
      sentMs: tsMs + 200, // the producer sends a moment after the reading was taken
    }));
    const fast = { event: event(n * 100 + 99, tsMs + FAST_MS, { deviceId: 'dev-fast' }), sentMs: tsMs + 200 };
    return n % 2 === 0 ? [fast, ...honest] : [...honest, fast];
  }

  it('judges no honest reading late, and keeps the partition clock at the present', () => {
    // 10 rounds 10 s apart, read in 10 batches, each a second after its round was sent.
    let clock: PartitionClock = NEW_CLOCK;
    const honestLateness: Lateness[] = [];
    let offset = 0;
    for (let n = 0; n < 10; n += 1) {
      const tsMs = T0 + n * 10_000;
      const records = round(n, tsMs).map(({ event: e, sentMs }) => ({
        ...record(offset++, serializeEvent(e)),
        timestampMs: sentMs,
      }));
      const { valid, rejected } = validateRecords(records, tsMs + 1_000, SKEW);
      expect(rejected).toEqual([]);
      const out = classifyBatch(PARTITION, valid, clock, POLICY);
      clock = out.clock;
      honestLateness.push(...out.accepted.filter((r) => r.deviceId !== 'dev-fast').map((r) => r.lateness));
      expect(out.accepted.find((r) => r.deviceId === 'dev-fast')?.lateness).toBe('on_time');
    }
    expect(honestLateness).toHaveLength(10 * HONEST);
    expect(honestLateness.filter((l) => l !== 'on_time')).toEqual([]);
    // The clock is the honest devices' present, not the fast device's (which would be T0 + 90 s + 9 min).
    expect(clock.maxEventMs).toBe(T0 + 90_000 + 200);
  });

  it('still judges its own readings by their event time (stored on time, in their own windows)', () => {
    const e = event(1, T0 + FAST_MS, { deviceId: 'dev-fast' });
    const { valid } = validateRecords([record(1, serializeEvent(e))], T0, SKEW);
    expect(valid[0]?.event.tsEventMs).toBe(T0 + FAST_MS);
    expect(valid[0]?.clockMs).toBe(T0);
  });

  it('is capped by the record timestamp during a backlog, so reading it late changes nothing', () => {
    const e = event(1, T0 + FAST_MS);
    const sent = { ...record(1, serializeEvent(e)), timestampMs: T0 };
    // read an hour after it was sent (the database was down): the cap is when it was sent, not now
    expect(validateRecords([sent], T0 + HOUR, SKEW).valid[0]?.clockMs).toBe(T0);
  });

  it('falls back to the wall clock for a record without a timestamp', () => {
    const e = event(1, T0 + FAST_MS);
    for (const timestampMs of [-1, 0, Number.NaN]) {
      const r = { ...record(1, serializeEvent(e)), timestampMs };
      expect(validateRecords([r], T0, SKEW).valid[0]?.clockMs).toBe(T0);
    }
  });
});

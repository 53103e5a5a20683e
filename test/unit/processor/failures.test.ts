import fc from 'fast-check';
import { backoffMs, classifyFailure, isRecordRefusal } from '../../../services/processor/src/domain/failures';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1_000);

/** Shapes of what node-postgres, pg-pool and Node's net module throw. */
function pgError(code: string, message = 'database error'): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

function wrapped(cause: unknown, depth = 1): Error {
  let err: unknown = cause;
  for (let i = 0; i < depth; i += 1) err = new Error(`apply batch failed (${i})`, { cause: err });
  return err as Error;
}

describe('classifyFailure', () => {
  it.each<[string, unknown]>([
    ['admin shutdown (57P01)', { code: '57P01' }],
    ['crash shutdown (57P02)', pgError('57P02')],
    ['cannot connect now (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a serialization failure (40001)', { code: '40001' }],
    ['a deadlock (40P01)', { code: '40P01' }],
    ['a connection failure (08006)', { code: '08006' }],
    ['a connection that does not exist (08003)', pgError('08003')],
    ['too many connections (53300)', pgError('53300')],
    [
      'ECONNREFUSED',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['ECONNRESET', { code: 'ECONNRESET' }],
    ['ETIMEDOUT', { code: 'ETIMEDOUT' }],
    ['EAI_AGAIN (DNS not ready)', { code: 'EAI_AGAIN' }],
    [
      "Node 20's AggregateError from a dual-stack connect",
      Object.assign(new AggregateError([new Error('a'), new Error('b')], ''), { code: 'ECONNREFUSED' }),
    ],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['a server shutting down', new Error('FATAL: the database system is shutting down')],
    ['a wrapped serialization failure', wrapped({ code: '40001' })],
    ['a transient cause four levels down', wrapped(new Error('Connection terminated unexpectedly'), 4)],
    ['a retriable kafkajs error', { retriable: true, name: 'KafkaJSConnectionError' }],
    ['a non-retriable wrapper around a retriable error', { retriable: false, cause: { retriable: true } }],
  ])('treats %s as transient', (_name, err) => {
    expect(classifyFailure(err)).toBe('transient');
  });

  it.each<[string, unknown]>([
    ['a unique violation (23505)', { code: '23505' }],
    ['an undefined table (42P01)', { code: '42P01' }],
    ['an undefined column (42703)', pgError('42703')],
    ['invalid text for a type (22P02)', pgError('22P02')],
    ['a plain error', new Error('boom')],
    ['a wrapped plain error', wrapped(new Error('boom'), 3)],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['null', null],
    ['undefined', undefined],
    ['a string, even one naming a transient condition', 'Connection terminated unexpectedly'],
    ['a number', 40001],
    ['a numeric code', { code: 40001 }],
    ['retriable: false', { retriable: false }],
    ['retriable: "true" (not a boolean)', { retriable: 'true' }],
    ['an empty object', {}],
  ])('treats %s as fatal', (_name, err) => {
    expect(classifyFailure(err)).toBe('fatal');
  });

  it('stops at a cyclic cause chain', () => {
    const err = new Error('boom') as Error & { cause?: unknown };
    err.cause = err;
    expect(classifyFailure(err)).toBe('fatal');
  });

  it('never throws and answers transient or fatal for any value', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (err) => {
        expect(['transient', 'fatal']).toContain(classifyFailure(err));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps a transient cause transient however it is wrapped (up to the chain limit)', () => {
    const transient = fc.oneof(
      fc.constantFrom('08006', '40001', '40P01', '57P01', 'ECONNRESET').map((code) => ({ code })),
      fc.constant({ retriable: true }),
      fc.constant(new Error('Connection terminated unexpectedly')),
    );
    fc.assert(
      fc.property(transient, fc.nat({ max: 4 }), (cause, depth) => {
        expect(classifyFailure(wrapped(cause, depth))).toBe('transient');
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('backoffMs', () => {
  const one = () => 1;
  const zero = () => 0;
  it.each<[string, number, number, number, () => number, number]>([
    ['attempt 1 at random() = 1 waits the base', 1, 200, 5_000, one, 200],
    ['attempt 2 doubles it', 2, 200, 5_000, one, 400],
    ['attempt 5 is base * 2^4', 5, 200, 5_000, one, 3_200],
    ['attempt 6 is capped at max', 6, 200, 5_000, one, 5_000],
    ['attempt 100 stays at max', 100, 200, 5_000, one, 5_000],
    ['attempt 2000 (2^1999 overflows to Infinity) stays at max', 2_000, 200, 5_000, one, 5_000],
    ['random() = 0 waits nothing', 6, 200, 5_000, zero, 0],
    ['random() = 0.5 waits half the ceiling', 3, 200, 5_000, () => 0.5, 400],
    ['attempt 0 (not used by the handler) is treated as 1', 0, 200, 5_000, one, 200],
  ])('%s', (_name, attempt, base, max, random, expected) => {
    expect(backoffMs(attempt, base, max, random)).toBe(expected);
  });

  it('stays within [0, min(max, base * 2^(attempt - 1))], reaching the ceiling at random() = 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, base, extra, r) => {
          const max = base + extra; // config requires base <= max
          const ceiling = Math.min(max, base * 2 ** (attempt - 1));
          const ms = backoffMs(attempt, base, max, () => r);
          expect(Number.isInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(ceiling);
          expect(backoffMs(attempt, base, max, () => 1)).toBe(ceiling);
          expect(backoffMs(attempt, base, max, () => 0)).toBe(0);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('never shrinks the ceiling as attempts grow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (attempt, base) => {
          const max = 30_000;
          expect(backoffMs(attempt + 1, base, max, () => 1)).toBeGreaterThanOrEqual(
            backoffMs(attempt, base, max, () => 1),
          );
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('isRecordRefusal', () => {
  const protocolError = (type: string, retriable = false) =>
    Object.assign(new Error(`broker said ${type}`), { name: 'KafkaJSProtocolError', type, retriable });

  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP'])(
    'is true for %s, also when wrapped',
    (type) => {
      expect(isRecordRefusal(protocolError(type))).toBe(true);
      expect(isRecordRefusal(wrapped(protocolError(type), 2))).toBe(true);
    },
  );

  it.each<[string, unknown]>([
    ['an authorization failure', protocolError('TOPIC_AUTHORIZATION_FAILED')],
    ['an unknown topic', protocolError('UNKNOWN_TOPIC_OR_PARTITION', true)],
    ['a disconnected producer', new Error('The producer is disconnected')],
    ['a database error', pgError('23505')],
    ['nothing at all', undefined],
  ])('is false for %s', (_name, err) => {
    expect(isRecordRefusal(err)).toBe(false);
  });
});

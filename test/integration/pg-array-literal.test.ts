import fc from 'fast-check';
import { Pool } from 'pg';
import { numberArray, textArray } from '../../services/processor/src/adapters/postgres/array-literal';
import { ADMIN_DATABASE_URL } from '../support/infra';

/**
 * The processor writes its unnest() parameters as array literals itself (array-literal.ts): whatever text
 * and numbers go in must come back from a real PostgreSQL unchanged, element by element.
 */
describe('PostgreSQL array literals (real PostgreSQL)', () => {
  const pool = new Pool({ connectionString: ADMIN_DATABASE_URL, max: 1 });
  afterAll(() => pool.end());

  const roundTrip = async (literal: string, type: string): Promise<unknown[]> => {
    const { rows } = await pool.query<{ a: unknown[] }>(`SELECT $1::${type}[] AS a`, [literal]);
    return rows[0]?.a ?? [];
  };

  it('keeps text exactly: quotes, backslashes, separators, braces, blanks, the word NULL, and nulls', async () => {
    const tricky = [
      '',
      ' ',
      'NULL',
      'null',
      'a,b',
      '{x}',
      'say "hi"',
      'back\\slash',
      '\\"',
      'é€𝄞',
      ' pad ',
      null,
    ];
    expect(
      await roundTrip(
        textArray(tricky, (s) => s),
        'text',
      ),
    ).toEqual(tricky);
  });

  it('keeps any printable text (property, 200 arrays)', async () => {
    // No NUL: PostgreSQL text cannot hold it, and the event schema refuses control characters anyway.
    const printable = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(printable, { nil: null }), { maxLength: 20 }), async (items) => {
        expect(
          await roundTrip(
            textArray(items, (s) => s),
            'text',
          ),
        ).toEqual(items);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps doubles bit for bit and refuses what is not finite', async () => {
    const values = [
      0,
      -1.5,
      612.5,
      1e-7,
      1e21,
      123456789.12345679,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      0.1 + 0.2,
    ];
    expect(
      (
        await roundTrip(
          numberArray(values, (v) => v),
          'float8',
        )
      ).map(Number),
    ).toEqual(values);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 20 }),
        async (xs) => {
          const back = (
            await roundTrip(
              numberArray(xs, (v) => v),
              'float8',
            )
          ).map(Number);
          // -0 prints as 0, which is the same reading.
          expect(back).toEqual(xs.map((x) => (Object.is(x, -0) ? 0 : x)));
        },
      ),
      { numRuns: 200 },
    );
    expect(() => numberArray([1, Number.NaN], (v) => v)).toThrow(RangeError);
    expect(() => numberArray([Number.POSITIVE_INFINITY], (v) => v)).toThrow(RangeError);
  });
});

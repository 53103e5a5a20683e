import fc from 'fast-check';
import { decodeCursor, encodeCursor, paginate } from '@telemetry-pulse/api';

describe('keyset cursors', () => {
  it('round-trips a key of the expected types', () => {
    const c = encodeCursor(['site-1', 'zone-2', 1_764_000_000_123_456]);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe as is
    expect(decodeCursor(c, ['string', 'string', 'number'])).toEqual([
      'site-1',
      'zone-2',
      1_764_000_000_123_456,
    ]);
  });

  it.each([
    ['not base64 json', 'e30-!!'],
    ['wrong arity', encodeCursor(['a'])],
    ['wrong types', encodeCursor(['a', 1])],
    ['an object', Buffer.from('{"a":1}').toString('base64url')],
    ['a non-finite number', Buffer.from('[1e999, "a"]').toString('base64url')],
    // Shapes that decoded before and reached PostgreSQL as values it refuses: 500s (issue 14, item 7).
    ['a number beyond bigint', encodeCursor([1e300, 'a'])],
    ['a fraction', encodeCursor([1.5, 'a'])],
    ['an unsafe integer', encodeCursor([2 ** 53 + 2, 'a'])],
    ['a NUL in an id', encodeCursor([1, 'a\u0000b'])],
    ['a control character in an id', encodeCursor([1, '\u001b[31m'])],
    ['an id longer than any event carries', encodeCursor([1, 'x'.repeat(129)])],
  ])('refuses %s', (_what, cursor) => {
    expect(decodeCursor(cursor, ['number', 'string'])).toBeUndefined();
  });

  it('walks any sorted list exactly once, whatever the page size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer(), { maxLength: 200 }),
        fc.integer({ min: 1, max: 30 }),
        (values, limit) => {
          const sorted = [...values].sort((a, b) => a - b);
          // What a store does: the rows after the cursor's key, one more than a page.
          const fetch = (after: number | undefined) =>
            sorted.filter((v) => after === undefined || v > after).slice(0, limit + 1);
          const seen: number[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const after: number | undefined =
              cursor === null ? undefined : decodeCursor(cursor, ['number'])?.[0];
            const page: { items: number[]; next_cursor: string | null } = paginate(
              fetch(after),
              limit,
              (v) => [v],
            );
            seen.push(...page.items);
            cursor = page.next_cursor;
            pages += 1;
          } while (cursor !== null && pages < 1000);
          expect(seen).toEqual(sorted);
        },
      ),
    );
  });
});

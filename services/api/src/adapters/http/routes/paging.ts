import { decodeCursor } from '../../../domain/cursor';
import { ProblemError } from '../problem';

/** The keyset position in `cursor`, or a 400 naming the parameter when it is not one of this route's. */
export function cursorKey<const T extends readonly ('string' | 'number')[]>(
  cursor: string | undefined,
  types: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor, types);
  if (key === undefined) {
    throw new ProblemError('invalid-request', 'Invalid query: cursor: not a cursor of this list', {
      errors: [
        { in: 'query', name: 'cursor', message: 'not a cursor of this list; pass next_cursor unchanged' },
      ],
    });
  }
  return key;
}

import type { z } from 'zod';
import { ProblemError, type ProblemErrors } from './problem';

/**
 * Validates one part of a request against its schema; every issue becomes one entry of the 400 problem,
 * named by its parameter, so a client learns everything that is wrong in one round trip.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'query' | 'path' | 'body',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: ProblemErrors = result.error.issues.map((issue) => {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : undefined;
    return {
      in: where,
      name: unknownKeys ?? (issue.path.map(String).join('.') || where),
      message: unknownKeys ? 'unknown parameter' : issue.message,
    };
  });
  const detail = errors.map((e) => `${e.name}: ${e.message}`).join('; ');
  throw new ProblemError(
    'invalid-request',
    `Invalid ${where === 'path' ? 'path parameter' : where}: ${detail}`,
    {
      errors,
    },
  );
}

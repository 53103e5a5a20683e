import type { Context } from 'koa';
import type { z } from 'zod';
import { ProblemError } from './problem';

/**
 * Errors on the Python original's routes, as FastAPI answered them: `{"detail": "..."}` with the status,
 * and 422 `{"detail": [{type, loc, msg, input}]}` for invalid input (pydantic's error items, without
 * their documentation URL, as FastAPI sends them). Clients of the original parse these bodies.
 */

export interface FastApiErrorItem {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly input: unknown;
  readonly ctx?: Readonly<Record<string, unknown>>;
}

/** Thrown by a FastAPI-style route: rendered as `{"detail": detail}` with `status` and `headers`. */
export class FastApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | readonly FastApiErrorItem[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'validation failed');
    this.name = 'FastApiError';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** One zod issue as pydantic would have named it; our rule's own words where pydantic had no such rule. */
export function fastApiItem(
  issue: z.core.$ZodIssue,
  where: 'query' | 'path' | 'body',
  input: unknown,
): FastApiErrorItem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const loc = [where, ...path];
  const value = valueAt(input, path);
  if (value === undefined && issue.code === 'invalid_type') {
    // FastAPI echoes the whole body for a missing body field, nothing for a missing parameter.
    return { type: 'missing', loc, msg: 'Field required', input: where === 'body' ? input : null };
  }
  if (issue.message === 'must be a whole number') {
    return {
      type: 'int_parsing',
      loc,
      msg: 'Input should be a valid integer, unable to parse string as an integer',
      input: value,
    };
  }
  if (issue.code === 'too_small' && typeof issue.minimum !== 'bigint' && typeof value !== 'object') {
    const ge = Number(issue.minimum);
    return {
      type: 'greater_than_equal',
      loc,
      msg: `Input should be greater than or equal to ${ge}`,
      input: value,
      ctx: { ge },
    };
  }
  if (issue.code === 'too_big' && typeof issue.maximum !== 'bigint' && typeof value !== 'object') {
    const le = Number(issue.maximum);
    return {
      type: 'less_than_equal',
      loc,
      msg: `Input should be less than or equal to ${le}`,
      input: value,
      ctx: { le },
    };
  }
  if (issue.code === 'invalid_type' && issue.expected === 'string') {
    return { type: 'string_type', loc, msg: 'Input should be a valid string', input: value };
  }
  if (issue.code === 'invalid_type' && issue.expected === 'number') {
    return { type: 'float_type', loc, msg: 'Input should be a valid number', input: value };
  }
  return { type: 'value_error', loc, msg: `Value error, ${issue.message}`, input: value };
}

/** Validates like {@link parseInput}, but refuses with FastAPI's 422 body. */
export function parseFastApiInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'query' | 'path' | 'body',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new FastApiError(
    422,
    result.error.issues.map((issue) => fastApiItem(issue, where, value)),
  );
}

/**
 * Runs a FastAPI-style route: its own FastApiErrors, and the shared access and body checks' problems
 * (401, 403, 413, 415, 429), are answered as `{"detail": ...}`; a body that is not JSON as pydantic's
 * `json_invalid`. Anything else is a bug and goes on to the problem middleware (a logged 500).
 */
export async function answerAsFastApi(ctx: Context, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    let e: FastApiError;
    if (err instanceof FastApiError) e = err;
    else if (err instanceof ProblemError && err.code === 'invalid-request') {
      e = new FastApiError(422, [
        {
          type: 'json_invalid',
          loc: ['body', 0],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: err.detail },
        },
      ]);
    } else if (err instanceof ProblemError) e = new FastApiError(err.status, err.detail, err.extra.headers);
    else throw err;
    ctx.status = e.status;
    for (const [name, value] of Object.entries(e.headers)) ctx.set(name, value);
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ detail: e.detail });
  }
}

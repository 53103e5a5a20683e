import { MAX_ID_LENGTH, PRINTABLE_RE, SENSOR_TYPES } from '@telemetry-pulse/shared/core';
import { z } from 'zod';

/**
 * Building blocks of the API contract. Every request is validated by these schemas and the OpenAPI
 * document is generated from them: one source of truth for both.
 */

export const sensorType = z.enum(SENSOR_TYPES).describe('Sensor kind.');

/**
 * A site, zone or device id as the devices send it: the event schema's rule, so an id no event can carry is
 * a 400, not a query (a NUL reached PostgreSQL and came back as a 500; test: api-hostile).
 */
export const entityId = (what: string) =>
  z
    .string()
    .min(1)
    .max(MAX_ID_LENGTH)
    .regex(PRINTABLE_RE, 'must not contain control characters')
    .describe(`${what} id.`);

/** An instant in a response: ISO-8601, UTC. */
export const instant = (what: string) => z.iso.datetime().describe(what);

/** An instant in a query: ISO-8601 with `Z` or an offset; parsed to epoch milliseconds. */
export const instantParam = (what: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date-time with Z or an offset' })
    .transform((s) => Date.parse(s))
    .describe(what);

export const MAX_PAGE = 1000;

/** Page size of a list: default 100, at most 1000. */
export const limitParam = (fallback = 100) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(MAX_PAGE)
    .default(fallback)
    .describe(`Items per page, 1–${MAX_PAGE}.`);

export const cursorParam = z
  .string()
  .min(1)
  .max(1024)
  .optional()
  .describe('`next_cursor` of the previous page; omit for the first page.');

/** `a,b,c` in a query, each one of `values`: OpenAPI's form style without explode. */
export const csvEnumParam = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .string()
    .regex(
      new RegExp(`^(${values.join('|')})(,(${values.join('|')}))*$`),
      `must be a comma-separated list of ${values.join(', ')}`,
    )
    .transform((s) => [...new Set(s.split(','))] as T[number][])
    .describe(`${what}: comma-separated, any of ${values.join(', ')}.`);

/** A list under /api/v1: one page of items and the cursor of the next page (null on the last). */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  });

export const problemSchema = z
  .object({
    type: z.string().describe('URI reference naming the kind of problem.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().describe('The request path.'),
    errors: z
      .array(
        z.object({
          in: z.enum(['query', 'path', 'body', 'header']),
          name: z.string(),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Each invalid parameter, for 400 responses.'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem document (application/problem+json).' });

export type Problem = z.infer<typeof problemSchema>;

/** The error body of the Python original's routes, as FastAPI wrote it. */
export const fastApiErrorSchema = z
  .object({
    detail: z
      .union([
        z.string(),
        z.array(
          z.object({
            type: z.string(),
            loc: z.array(z.union([z.string(), z.number()])),
            msg: z.string(),
            input: z.unknown(),
            ctx: z.record(z.string(), z.unknown()).optional(),
          }),
        ),
      ])
      .describe('A message, or one entry per invalid field (422).'),
  })
  .meta({ id: 'HTTPError', description: "FastAPI's error body, on the Python original's routes only." });

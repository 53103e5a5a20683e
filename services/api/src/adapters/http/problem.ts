import type { Problem } from '../../contract/common';

/** The closed set of problems the API reports, each with its status and a stable type URI. */
export const PROBLEMS = {
  'invalid-request': { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'API key required' },
  forbidden: { status: 403, title: 'API key not accepted' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  'not-implemented': { status: 501, title: 'Not implemented' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;
export type ProblemErrors = NonNullable<Problem['errors']>;

/** Relative type URIs: stable names that do not pretend to be a resolvable web page. */
export const problemType = (code: ProblemCode): string => `/problems/${code}`;

/** Thrown anywhere in request handling; the error middleware renders it as application/problem+json. */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { errors?: ProblemErrors; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = PROBLEMS[code].status;
  }

  toProblem(instance: string): Problem {
    return {
      type: problemType(this.code),
      title: PROBLEMS[this.code].title,
      status: this.status,
      detail: this.detail,
      instance,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
    };
  }
}

/** The problem code of an HTTP status that arrives from a library error (co-body, koa, router). */
export function codeForStatus(status: number): ProblemCode {
  const found = (Object.keys(PROBLEMS) as ProblemCode[]).find((c) => PROBLEMS[c].status === status);
  return found ?? (status >= 500 ? 'internal' : 'invalid-request');
}

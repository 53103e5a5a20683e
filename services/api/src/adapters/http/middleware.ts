import cors from '@koa/cors';
import type { Logger } from '@telemetry-pulse/shared';
import type { Middleware } from 'koa';
import type { ApiMetrics } from '../../metrics';
import { codeForStatus, ProblemError, PROBLEMS } from './problem';
import type { RouteState } from './router';

/**
 * Nothing but this origin: the dashboard and /docs load every script, style and image from here (npm
 * packages served locally, no CDN). `data:` images are Swagger UI's inline icons.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['content-security-policy', CONTENT_SECURITY_POLICY],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['x-frame-options', 'DENY'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['permissions-policy', 'camera=(), microphone=(), geolocation=()'],
  ['cache-control', 'no-store'],
];

/**
 * Security headers on every response; API answers are never cached (handlers may override). Set on the
 * node response directly: nothing has been sent yet, so koa's `ctx.set` checks would only add cost.
 */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    for (const [name, value] of SECURITY_HEADERS) ctx.res.setHeader(name, value);
    await next();
  };
}

/** Request metrics by route template, and one log line per request (debug for reads, info for writes). */
export function observeRequests(metrics: ApiMetrics, logger: Logger): Middleware {
  const log = logger.child({ component: 'http' });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Outside the route table: `other` when answered (dashboard files, CORS preflights), else unmatched.
      const route = (ctx.state as RouteState).route ?? (ctx.status < 400 ? 'other' : 'unmatched');
      const labels = { method: ctx.method, route, status: String(ctx.status) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, seconds);
      const level = ctx.method === 'GET' || ctx.method === 'HEAD' ? 'debug' : 'info';
      // Reads log at debug, off in production: skip building the line as well as writing it.
      if (log.isLevelEnabled(level)) {
        const fields = {
          method: ctx.method,
          route,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(seconds * 1000),
        };
        log[level](fields, 'request');
      }
    }
  };
}

/** PostgreSQL's statement_timeout and query_canceled: the database is busy, not the request wrong. */
const QUERY_CANCELED = '57014';

/**
 * Renders every error as application/problem+json (RFC 9457): thrown ProblemErrors, library errors that
 * carry an HTTP status, and bodiless error statuses (404, 405). Anything else is a bug: logged with its
 * stack, answered as a 500 that reveals nothing.
 */
export function problemResponses(logger: Logger): Middleware {
  const log = logger.child({ component: 'http' });
  return async (ctx, next) => {
    let problem: ProblemError | undefined;
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) {
        const code = codeForStatus(ctx.status);
        problem = new ProblemError(
          code,
          code === 'not-found' ? `Nothing at ${ctx.path}.` : PROBLEMS[code].title,
        );
      }
    } catch (err) {
      if (err instanceof ProblemError) problem = err;
      else if ((err as { code?: unknown }).code === QUERY_CANCELED) {
        log.warn({ err, path: ctx.path }, 'query timed out');
        problem = new ProblemError('unavailable', 'The database did not answer in time; retry later.', {
          headers: { 'retry-after': '5' },
        });
      } else if (
        typeof (err as { status?: unknown }).status === 'number' &&
        (err as { expose?: unknown }).expose
      ) {
        const status = (err as { status: number }).status;
        problem = new ProblemError(codeForStatus(status), (err as Error).message);
      } else {
        log.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
        problem = new ProblemError('internal', 'An unexpected error occurred; it has been logged.');
      }
    }
    if (!problem) return;
    if (ctx.headerSent) return; // a stream already answered; nothing more can be said
    ctx.status = problem.status;
    for (const [name, value] of Object.entries(problem.extra.headers ?? {})) ctx.set(name, value);
    ctx.body = JSON.stringify(problem.toProblem(ctx.path));
    ctx.type = 'application/problem+json';
  };
}

/** CORS for the configured origins only (none: no CORS headers at all, same-origin use only). */
export function corsFor(origins: readonly string[]): Middleware | undefined {
  if (origins.length === 0) return undefined;
  const any = origins.includes('*');
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('origin');
      return any ? '*' : origins.includes(origin) ? origin : '';
    },
    allowMethods: ['GET', 'HEAD', 'POST'],
    allowHeaders: ['content-type', 'x-api-key'],
    exposeHeaders: ['retry-after', 'www-authenticate'],
    maxAge: 600,
  });
}

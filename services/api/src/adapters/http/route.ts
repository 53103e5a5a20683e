import type { Context } from 'koa';
import type { z } from 'zod';

/**
 * One row of the route table. The koa router and the OpenAPI document are both derived from the table,
 * so a route cannot be served without being documented, nor documented with other parameters than it
 * validates.
 */
export type Auth = 'none' | 'read' | 'write' | 'ingest';

/** Who made the request: the API key's name (or nobody), and what it is charged to. */
export interface Principal {
  readonly keyName?: string;
  /** The only sites the key may act on; all when absent. */
  readonly sites?: ReadonlySet<string>;
  /** The rate-limit bucket: `key:<name>`, or `ip:<address>` without a key. */
  readonly client: string;
}

export type QuerySchema = z.ZodObject;

interface RouteBase {
  readonly method: 'GET' | 'POST';
  /** OpenAPI path template, e.g. `/api/v1/alerts/{alert_id}/acknowledge`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /**
   * none: open; read: needs a key when API_READ_AUTH is on; write: always needs an operator key (API_KEYS);
   * ingest: needs an ingest key (API_INGEST_KEYS) unless API_INGEST_ANONYMOUS is on.
   */
  readonly auth: Auth;
  /** Problem statuses this route returns besides 400/401/403/429/500 (documented in OpenAPI). */
  readonly problems?: readonly number[];
  /**
   * Also admits a stream token in the `token` query parameter in place of the key header: EventSource, the
   * browser's client for the live stream, cannot send headers.
   */
  readonly streamToken?: boolean;
  /** Exempt from rate limiting: probes and scrapes must not be starved by a busy client. */
  readonly unlimited?: boolean;
  readonly query?: QuerySchema;
  readonly params?: QuerySchema;
  /**
   * `fastapi`: the Python original's routes answer errors as FastAPI did (`{"detail": ...}`, 422 for
   * invalid input) instead of problem documents, so its clients keep parsing them.
   */
  readonly errors?: 'fastapi';
}

export interface JsonInput<Q, P, B> {
  readonly query: Q;
  readonly params: P;
  readonly body: B;
  readonly principal: Principal;
}

export interface JsonRoute<
  Q extends QuerySchema,
  P extends QuerySchema,
  B extends z.ZodType,
  R extends z.ZodType,
> extends RouteBase {
  readonly kind: 'json';
  readonly query?: Q;
  readonly params?: P;
  readonly body?: B;
  readonly response: R;
  readonly responseDescription: string;
  /** Status of a successful answer; 200 when omitted. */
  readonly status?: number;
  /** Writes the body itself (e.g. as Python wrote it); koa's JSON.stringify when omitted. */
  readonly serialize?: (body: z.input<R>) => string;
  handler(input: JsonInput<z.output<Q>, z.output<P>, z.output<B>>): Promise<z.input<R>>;
}

/** A route that writes its own response (stream, HTML, metrics text). */
export interface RawRoute extends RouteBase {
  readonly kind: 'raw';
  readonly produces: { readonly contentType: string; readonly description: string };
  handler(ctx: Context, principal: Principal): Promise<void> | void;
}

export type AnyJsonRoute = JsonRoute<QuerySchema, QuerySchema, z.ZodType, z.ZodType>;
export type Route = AnyJsonRoute | RawRoute;

/** Declares a JSON route with its handler typed from its schemas. */
export function jsonRoute<
  Q extends QuerySchema,
  P extends QuerySchema,
  B extends z.ZodType,
  R extends z.ZodType,
>(spec: Omit<JsonRoute<Q, P, B, R>, 'kind'>): Route {
  return { kind: 'json', ...spec } as AnyJsonRoute;
}

/** Declares a route that writes its own response. */
export function rawRoute(spec: Omit<RawRoute, 'kind'>): Route {
  return { kind: 'raw', ...spec };
}

/** `/a/{id}/b` → `/a/:id/b`, koa-router's syntax. */
export function koaPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

import Router from '@koa/router';
import type { Context } from 'koa';
import type { AccessControl } from './access';
import { answerAsFastApi, parseFastApiInput } from './fastapi';
import { readJsonBody } from './json-body';
import { koaPath, type Route } from './route';
import { parseInput } from './validate';

/** The route template of the matched route, for metrics and logs (never the raw path). */
export interface RouteState {
  route?: string;
}

/**
 * The query without empty parameters: `?site_id=` is how forms and older dashboards say "any site", so it
 * means the same as leaving the parameter out.
 */
function presentParams(query: Record<string, string | string[] | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined));
}

/**
 * Builds the koa router from the route table: each route admits the caller, validates query, path and
 * body against its schemas, and answers with its handler's result.
 */
export function buildRouter(
  routes: readonly Route[],
  deps: { access: AccessControl; bodyLimit: number },
): Router {
  const router = new Router();
  for (const route of routes) {
    const parse = route.errors === 'fastapi' ? parseFastApiInput : parseInput;
    const run = async (ctx: Context & { params?: Record<string, string> }): Promise<void> => {
      const token = route.streamToken && typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
      const principal = deps.access.admit(ctx, route.auth, route.unlimited !== true, token);
      if (route.kind === 'raw') {
        if (route.query) parse(route.query, presentParams(ctx.query), 'query');
        if (route.params) parse(route.params, ctx.params ?? {}, 'path');
        await route.handler(ctx, principal);
        return;
      }
      const query = route.query ? parse(route.query, presentParams(ctx.query), 'query') : {};
      const params = route.params ? parse(route.params, ctx.params ?? {}, 'path') : {};
      const body = route.body
        ? parse(route.body, (await readJsonBody(ctx, deps.bodyLimit)) ?? {}, 'body')
        : undefined;
      const result = await route.handler({ query, params, body, principal });
      ctx.status = route.status ?? 200;
      if (route.serialize) {
        ctx.type = 'application/json';
        ctx.body = route.serialize(result);
      } else ctx.body = result;
    };
    const handle = async (ctx: Context & { params?: Record<string, string> }): Promise<void> => {
      (ctx.state as RouteState).route = route.path;
      if (route.errors === 'fastapi') await answerAsFastApi(ctx, () => run(ctx));
      else await run(ctx);
    };
    if (route.method === 'GET') router.get(koaPath(route.path), handle);
    else router.post(koaPath(route.path), handle);
  }
  return router;
}

/**
 * 405 with Allow (and 501) for known paths asked with another method; the status is set without a body,
 * so the problem middleware renders it like any other error.
 */
export function allowedMethods(router: Router) {
  return router.allowedMethods();
}

/** Method and path template of every route the router serves (HEAD is implied by GET). */
export function servedRoutes(router: Router): { method: string; path: string }[] {
  return router.stack.flatMap((layer) =>
    layer.methods
      .filter((m) => m !== 'HEAD')
      .map((method) => ({ method, path: String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}') })),
  );
}

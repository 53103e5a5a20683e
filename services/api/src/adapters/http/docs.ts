import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'koa';
import { ProblemError } from './problem';

/** The Swagger UI files /docs serves, from the swagger-ui-dist npm package (no CDN). */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

// Inline scripts are refused by the Content-Security-Policy, so the start-up code is a file of its own.
const INIT_JS = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>TelemetryPulse API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

/** The interactive API reference: an HTML shell, Swagger UI from node_modules, and its start-up script. */
export function createDocs(): { page(ctx: Context): void; asset(ctx: Context): Promise<void> } {
  const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Buffer>();
  return {
    page(ctx) {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = PAGE;
    },
    async asset(ctx) {
      const name = (ctx.params as Record<string, string> | undefined)?.['file'] ?? '';
      if (name === 'init.js') {
        ctx.type = 'text/javascript; charset=utf-8';
        ctx.body = INIT_JS;
        return;
      }
      const type = ASSETS[name];
      if (!type) throw new ProblemError('not-found', `No documentation asset ${name}.`);
      let body = cache.get(name);
      if (!body) {
        body = await readFile(path.join(dir, name));
        cache.set(name, body);
      }
      ctx.type = type;
      ctx.set('cache-control', 'public, max-age=3600');
      ctx.body = body;
    },
  };
}

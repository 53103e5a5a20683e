import type { MetricsSource, ReadinessReport } from '@telemetry-pulse/shared';
import { z } from 'zod';
import { streamTokenSchema } from '../../../contract/live';
import type { ApiKey } from '../../../domain/api-keys';
import { mintStreamToken } from '../../../domain/stream-token';
import type { createDocs } from '../docs';
import { ProblemError } from '../problem';
import type { SseStreams } from '../sse';
import { jsonRoute, rawRoute, type Route } from '../route';

/**
 * Routes that write their own responses: the live stream, the OpenAPI document and its interactive page,
 * and the operations endpoints (never rate limited: probes and scrapes must always get through).
 */
export function metaRoutes(deps: {
  openApi: () => Record<string, unknown>;
  docs: ReturnType<typeof createDocs>;
  sse: SseStreams;
  readiness: () => Promise<ReadinessReport>;
  metrics: MetricsSource;
  config: { readonly apiKeys: readonly ApiKey[] };
  now: () => number;
}): Route[] {
  return [
    rawRoute({
      method: 'GET',
      path: '/api/v1/stream',
      operationId: 'liveStream',
      summary: 'Live updates as Server-Sent Events',
      description:
        '`event: zones` carries an array of /api/v1/zones/latest items that changed; `event: alert` one alert after it was opened, escalated, acknowledged or resolved; `: heartbeat` comments keep the connection alive (every 15 s by default). Events while a client is away are not replayed: reload the lists over REST after reconnecting. Connections are capped per instance (503 when full). With API_READ_AUTH=true, a browser (EventSource cannot send headers) passes a token from POST /api/v1/stream/token instead of the key.',
      tag: 'live',
      auth: 'read',
      streamToken: true,
      query: z.strictObject({
        token: z
          .string()
          .max(256)
          .optional()
          .describe('A token from POST /api/v1/stream/token, in place of the x-api-key header.'),
      }),
      problems: [503],
      produces: { contentType: 'text/event-stream', description: 'An endless event stream.' },
      handler: (ctx) => deps.sse.open(ctx),
    }),
    jsonRoute({
      method: 'POST',
      path: '/api/v1/stream/token',
      operationId: 'liveStreamToken',
      summary: 'A short-lived token that opens the live stream without a key header',
      description:
        'For browsers under API_READ_AUTH=true: EventSource cannot send x-api-key, so the page trades its key for a token (valid about a minute, for the stream only) and opens /api/v1/stream?token=…. Tokens are signed with the key: any replica with the same API_KEYS accepts them, and removing the key revokes them.',
      tag: 'live',
      auth: 'write', // always needs a key: the token stands for one
      response: streamTokenSchema,
      responseDescription: 'The token and when it expires.',
      handler({ principal }) {
        const key = deps.config.apiKeys.find((k) => k.name === principal.keyName);
        if (!key) throw new ProblemError('unauthorized', 'Send an API key in the x-api-key header.');
        const { token, expiresAtMs } = mintStreamToken(key, deps.now());
        return Promise.resolve({ token, expires_at: new Date(expiresAtMs).toISOString() });
      },
    }),
    rawRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openApi',
      summary: 'This OpenAPI 3.1 document',
      tag: 'meta',
      auth: 'none',
      produces: { contentType: 'application/json', description: 'The OpenAPI document.' },
      handler(ctx) {
        ctx.body = deps.openApi();
      },
    }),
    rawRoute({
      method: 'GET',
      path: '/docs',
      operationId: 'docs',
      summary: 'Interactive API reference (Swagger UI)',
      tag: 'meta',
      auth: 'none',
      produces: { contentType: 'text/html', description: 'The reference page.' },
      handler: (ctx) => deps.docs.page(ctx),
    }),
    rawRoute({
      method: 'GET',
      path: '/docs/{file}',
      operationId: 'docsAsset',
      summary: 'Scripts and styles of the reference page',
      tag: 'meta',
      auth: 'none',
      params: z.strictObject({
        file: z.enum(['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']).describe('Asset name.'),
      }),
      produces: { contentType: 'text/javascript', description: 'The asset (JavaScript or CSS).' },
      handler: (ctx) => deps.docs.asset(ctx),
    }),
    rawRoute({
      method: 'GET',
      path: '/healthz',
      operationId: 'healthz',
      summary: 'Liveness: the process serves requests',
      tag: 'operations',
      auth: 'none',
      unlimited: true,
      produces: { contentType: 'application/json', description: '{"status":"ok"}' },
      handler(ctx) {
        ctx.body = { status: 'ok' };
      },
    }),
    rawRoute({
      method: 'GET',
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Readiness: the database answers',
      tag: 'operations',
      auth: 'none',
      unlimited: true,
      produces: {
        contentType: 'application/json',
        description: 'The checks (the same body with 503 when one fails).',
      },
      async handler(ctx) {
        const report = await deps.readiness();
        ctx.status = report.ready ? 200 : 503;
        ctx.body = report;
      },
    }),
    rawRoute({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      tag: 'operations',
      auth: 'none',
      unlimited: true,
      produces: { contentType: 'text/plain', description: 'Prometheus text exposition format.' },
      async handler(ctx) {
        const body = await deps.metrics.metrics();
        ctx.type = deps.metrics.contentType;
        ctx.body = body;
      },
    }),
  ];
}

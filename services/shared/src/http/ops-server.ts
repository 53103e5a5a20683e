import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { ok: boolean; detail?: string }>>;
}

export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** /readyz: 200 when ready, 503 otherwise, with the individual checks as JSON. */
  readonly readiness: () => Promise<ReadinessReport>;
  /** /metrics in the Prometheus text format: the service's registry. */
  readonly metrics: MetricsSource;
}

/** What /metrics serves: a registry's text and its content type (prom-client's Registry is one). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface OpsServer {
  /** Resolves with the bound port (useful with port 0). */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The operations endpoints of a non-HTTP service: /healthz (process alive), /readyz (dependencies
 * reachable and work assigned) and /metrics. Plain node:http: nothing here needs a framework.
 */
export function createOpsServer(opts: OpsServerOptions): OpsServer {
  // A child of the service's root logger: pino writes a repeated binding twice (`component` on one line).
  const log = opts.logger.child({ component: 'ops-server' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    const fail = (err: unknown): void => {
      log.error({ err, path }, 'ops endpoint failed');
      reply(500, 'application/json', JSON.stringify({ error: 'internal error' }));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      opts.readiness().then((r) => reply(r.ready ? 200 : 503, 'application/json', JSON.stringify(r)), fail);
      return;
    }
    if (path === '/metrics') {
      opts.metrics.metrics().then((body) => reply(200, opts.metrics.contentType, body), fail);
      return;
    }
    reply(404, 'text/plain', 'not found: try /healthz, /readyz or /metrics\n');
  });
  server.keepAliveTimeout = 5_000;
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          const port = (server.address() as AddressInfo).port;
          log.info({ host: opts.host, port }, 'operations endpoints listening');
          resolve(port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

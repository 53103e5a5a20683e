/**
 * The API benchmark's bare server, forked by ./servers.ts: node:http with no framework, routing by path to
 * the same store call as the API's route (./routes.ts) and answering with JSON.stringify. It sends its port
 * over IPC once listening, and stops on SIGTERM or when the benchmark dies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type pg from 'pg';
import { load } from '../common.ts';
import { createStores, storeCalls } from './routes.ts';
import { API_DIST } from './servers.ts';

interface PoolOptions {
  url: string;
  max: number;
  applicationName: string;
  logger: unknown;
}

function main(): void {
  const { createPool } = load('@telemetry-pulse/shared') as { createPool(o: PoolOptions): pg.Pool };
  const { withStatementTimeout } = load(path.join(API_DIST, 'compose')) as {
    withStatementTimeout(url: string, timeoutMs: number): string;
  };
  const silent: Record<string, unknown> = {
    child: () => silent,
    warn() {},
    info() {},
    debug() {},
    error() {},
  };
  // The API's pool settings: default size 10, 10 s statement timeout.
  const pool = createPool({
    url: withStatementTimeout(process.env['DATABASE_URL'] ?? '', 10_000),
    max: 10,
    applicationName: 'bench-bare-http',
    logger: silent,
  });
  const stores = createStores(pool);
  const calls = storeCalls();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const call = calls[url.pathname];
    if (!call) {
      res.writeHead(404).end();
      return;
    }
    call(stores, url.searchParams).then(
      (body) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      },
    );
  });
  const stop = (): void => {
    server.closeAllConnections();
    server.close(() => void pool.end().then(() => process.exit(0)));
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop); // the bench died
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

main();

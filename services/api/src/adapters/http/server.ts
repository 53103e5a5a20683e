import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /**
   * Stops accepting, waits for the requests in flight (at most `graceMs`), then closes every connection:
   * idle keep-alive sockets are not left to linger until the client's own timeout.
   */
  close(graceMs: number): Promise<void>;
}

/** node:http with timeouts against slow clients and a shutdown that waits for requests, not for sockets. */
export function createHttpServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  opts: { requestTimeoutMs: number },
): HttpServer {
  // Node enforces the two timeouts below only when it sweeps its connections, every 30 s by default, so a
  // slow-loris client held a socket for 30 s whatever the timeout (test: api-hostile, slowloris). Sweep
  // every second instead: one timer walking the open connections.
  const server = createServer({ connectionsCheckingInterval: 1_000 }, handler);
  server.requestTimeout = opts.requestTimeoutMs; // the whole request, against slow-loris senders
  server.headersTimeout = Math.min(10_000, opts.requestTimeoutMs);
  server.keepAliveTimeout = 5_000;
  let inFlight = 0;
  server.on('request', (_req, res: ServerResponse) => {
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
  });

  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
    },
  };
}

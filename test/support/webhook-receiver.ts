import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { verifyWebhook } from '@telemetry-pulse/processor';

/** One request a test receiver got. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly atMs: number;
  /** The HMAC check's verdict (`unsigned` when the receiver has no secret). */
  readonly signature: 'ok' | 'bad-signature' | 'stale' | 'unsigned';
}

export interface WebhookReceiver {
  readonly port: number;
  readonly url: string;
  readonly received: Received[];
  /** Requests answered 2xx per Idempotency-Key header (raw, duplicates included). */
  byKey(): Map<string, number>;
  /** How the next requests are answered: accepted, refused with a status, or recorded and never answered. */
  respond(mode: 'accept' | 'hang' | number): void;
  /** Stops listening (clients get connection refused) and drops open connections. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  reopen(): Promise<void>;
}

/**
 * A local HTTP receiver that verifies the TelemetryPulse signature of every request (with `secret`) and
 * records each one. Only verified requests are answered 2xx.
 */
export async function startWebhookReceiver(secret?: string, port = 0): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const accepted = new Map<string, number>();
  let mode: 'accept' | 'hang' | number = 'accept';
  let server: Server;
  let actualPort = port;

  const listen = async (): Promise<void> => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signature =
          secret === undefined
            ? 'unsigned'
            : verifyWebhook(
                secret,
                {
                  signature: header(req.headers, 'x-telemetrypulse-signature'),
                  timestamp: header(req.headers, 'x-telemetrypulse-timestamp'),
                },
                body,
                Math.floor(Date.now() / 1000),
              );
        received.push({ path: req.url ?? '', headers: req.headers, body, atMs: Date.now(), signature });
        if (mode === 'hang') return; // never answered: the sender times out or dies waiting
        if (signature !== 'ok' && signature !== 'unsigned') {
          res.writeHead(401).end(signature);
          return;
        }
        if (typeof mode === 'number') {
          res.writeHead(mode).end();
          return;
        }
        const key = header(req.headers, 'idempotency-key') ?? '';
        accepted.set(key, (accepted.get(key) ?? 0) + 1);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(actualPort, '127.0.0.1', resolve));
    const address = server.address();
    if (address !== null && typeof address !== 'string') actualPort = address.port;
  };
  await listen();

  return {
    get port() {
      return actualPort;
    },
    get url() {
      return `http://127.0.0.1:${actualPort}`;
    },
    received,
    byKey: () => new Map(accepted),
    respond: (m) => void (mode = m),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    reopen: listen,
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

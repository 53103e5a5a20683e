/**
 * The receivers `npm run bench:notifications` sends to, on loopback: a signed-webhook receiver that checks
 * each request's signature with the processor's own `verifyWebhook` and notes when each transition first
 * arrived, and Debian's Alertmanager in a temporary directory when it is installed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as Processor from '../../services/processor/dist/index.js';
import { ROOT, freePort, load, stopChild, waitOk } from './common.ts';

export const ALERTMANAGER_BIN = process.env['ALERTMANAGER_BIN'] ?? '/usr/bin/prometheus-alertmanager';

/** What the webhook receiver has seen so far. */
export interface WebhookSink {
  readonly url: string;
  /** transition id -> wall time (ms) its first request ended at the receiver */
  readonly firstArrival: Map<string, number>;
  /** requests received, refused for their signature, and repeats of a transition already received */
  readonly stats: { requests: number; badSignature: number; duplicates: number };
  close(): Promise<void>;
}

/** The webhook body fields the bench reads (docs/notifications.md, "Webhooks"). */
interface WebhookBody {
  transition_id?: unknown;
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * A webhook receiver on 127.0.0.1 that answers 204 to correctly signed requests (401 otherwise, which the
 * dispatcher treats as dead at once, so a signing bug shows as missing notifications, never as latency).
 */
export async function startWebhookSink(secret: string): Promise<WebhookSink> {
  const processor = load(path.join(ROOT, 'services/processor/dist/index.js')) as typeof Processor;
  const firstArrival = new Map<string, number>();
  const stats = { requests: 0, badSignature: 0, duplicates: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const atMs = Date.now();
      stats.requests += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = processor.verifyWebhook(
        secret,
        {
          signature: header(req.headers, 'x-telemetrypulse-signature'),
          timestamp: header(req.headers, 'x-telemetrypulse-timestamp'),
        },
        body,
        Math.floor(atMs / 1000),
      );
      if (verdict !== 'ok') {
        stats.badSignature += 1;
        res.writeHead(401).end(verdict);
        return;
      }
      const id = (JSON.parse(body) as WebhookBody).transition_id;
      if (typeof id === 'string') {
        if (firstArrival.has(id)) stats.duplicates += 1;
        else firstArrival.set(id, atMs);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    firstArrival,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface BenchAlertmanager {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Alertmanager on loopback with a receiver that discards (the bench measures the processor's posts, not
 * Alertmanager's own notifications), gossip off; undefined when the binary is not installed.
 */
export async function startAlertmanager(): Promise<BenchAlertmanager | undefined> {
  if (!existsSync(ALERTMANAGER_BIN)) return undefined;
  const dir = await mkdtemp(path.join(tmpdir(), 'tp-bench-am-'));
  const config = path.join(dir, 'alertmanager.yml');
  await writeFile(
    config,
    "route:\n  receiver: 'null'\n  group_by: [site, zone]\nreceivers:\n  - name: 'null'\n",
  );
  const port = await freePort();
  const child = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitOk(`${url}/-/ready`, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

import net from 'node:net';

/**
 * A fault-injecting TCP proxy for the reliability suite: it sits on a client's path to a server (the
 * processor → broker listener, the processor → PostgreSQL) and can add latency, black-hole the path
 * like a network partition, or reset every connection, then heal. Loopback only; nothing is dropped
 * silently: a black hole holds the bytes, as TCP retransmission would, and delivers them on heal.
 */
export interface FaultProxy {
  /** The port clients connect to. */
  readonly port: number;
  /** Every chunk, in both directions, waits `ms` before it is forwarded (0: none). Order is kept. */
  delay(ms: number): void;
  /** A partition: connections stay open but no byte crosses, new ones are accepted and held. */
  blackhole(): void;
  /** Resets (RST) every open connection, and every new one until {@link heal}. */
  reset(): void;
  /** Back to a clean path: no delay, held bytes delivered, held connections connected. */
  heal(): void;
  /** Connections open through the proxy now. */
  connections(): number;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

type Mode = 'pass' | 'blackhole' | 'reset';
const HIGH_WATER_BYTES = 4 * 1024 * 1024; // held per direction before the source is paused

interface Direction {
  readonly from: net.Socket;
  readonly to: net.Socket;
  readonly queue: { chunk: Buffer; due: number }[];
  bytes: number;
  ended: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Link {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  connected: boolean;
  readonly directions: [Direction, Direction];
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  let mode: Mode = 'pass';
  let delayMs = 0;
  const links = new Set<Link>();

  function pump(d: Direction): void {
    if (d.timer) return;
    while (mode === 'pass' && d.queue.length > 0) {
      const head = d.queue[0];
      if (!head) break;
      const wait = head.due - Date.now();
      if (wait > 0) {
        d.timer = setTimeout(() => {
          d.timer = undefined;
          pump(d);
        }, wait);
        return;
      }
      d.queue.shift();
      d.bytes -= head.chunk.length;
      if (!d.to.destroyed) d.to.write(head.chunk);
    }
    if (d.bytes < HIGH_WATER_BYTES && d.from.isPaused()) d.from.resume();
    if (mode === 'pass' && d.queue.length === 0 && d.ended && !d.to.destroyed) d.to.end();
  }

  function direction(from: net.Socket, to: net.Socket): Direction {
    const d: Direction = { from, to, queue: [], bytes: 0, ended: false, timer: undefined };
    from.on('data', (chunk: Buffer) => {
      d.queue.push({ chunk, due: Date.now() + delayMs });
      d.bytes += chunk.length;
      if (d.bytes >= HIGH_WATER_BYTES) from.pause();
      pump(d);
    });
    from.on('end', () => {
      d.ended = true;
      pump(d);
    });
    return d;
  }

  function drop(link: Link, how: 'destroy' | 'reset'): void {
    links.delete(link);
    for (const d of link.directions) if (d.timer) clearTimeout(d.timer);
    for (const s of [link.client, link.upstream]) {
      if (s.destroyed) continue;
      // resetAndDestroy needs a connected socket; a connecting one is simply destroyed.
      if (how === 'reset' && !s.connecting) s.resetAndDestroy();
      else s.destroy();
    }
  }

  function connectUpstream(link: Link): void {
    if (link.connected) return;
    link.connected = true;
    link.upstream.connect(opts.target.port, opts.target.host);
  }

  const server = net.createServer((client) => {
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = new net.Socket();
    upstream.setNoDelay(true);
    const link: Link = {
      client,
      upstream,
      connected: false,
      directions: [direction(client, upstream), direction(upstream, client)],
    };
    links.add(link);
    for (const s of [client, upstream]) {
      s.on('error', () => drop(link, 'destroy'));
      s.on('close', () => drop(link, 'destroy'));
    }
    if (mode === 'pass') connectUpstream(link);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no TCP address');

  return {
    port: address.port,
    delay(ms) {
      delayMs = ms;
    },
    blackhole() {
      mode = 'blackhole';
    },
    reset() {
      mode = 'reset';
      for (const link of [...links]) drop(link, 'reset');
    },
    heal() {
      mode = 'pass';
      delayMs = 0;
      for (const link of links) {
        connectUpstream(link);
        // Held bytes were due long ago; deliver them now, in order.
        for (const d of link.directions) pump(d);
      }
    },
    connections: () => links.size,
    async close() {
      for (const link of [...links]) drop(link, 'destroy');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

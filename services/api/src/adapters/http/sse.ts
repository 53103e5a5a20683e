import { PassThrough } from 'node:stream';
import type { Logger } from '@telemetry-pulse/shared';
import type { Context } from 'koa';
import type { LiveHub } from '../../domain/live-events';
import { sseComment, sseEvent, sseRetry } from '../../domain/sse';
import { ProblemError } from './problem';

export interface SseOptions {
  readonly hub: LiveHub;
  /** Awaited before a stream opens: the feed's baseline, so nothing after the client's snapshot is missed. */
  readonly ready: () => Promise<void>;
  readonly maxClients: number;
  /** Bytes held for a client that does not read (beyond the kernel's buffers) before it is cut off. */
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  readonly onClients: (n: number) => void;
  readonly onRejected: () => void;
}

export interface SseStreams {
  /** Answers a request with a live event stream, or a 503 problem when the cap is reached. */
  open(ctx: Context): Promise<void>;
  /** Ends every stream (shutdown): clients see a clean end and reconnect elsewhere. */
  closeAll(): void;
  count(): number;
}

/** Server-Sent Events connections: a capped set, each with a heartbeat, cleaned up on disconnect. */
export function createSseStreams(opts: SseOptions): SseStreams {
  const log = opts.logger.child({ component: 'sse' });
  const streams = new Set<PassThrough>();

  async function open(ctx: Context): Promise<void> {
    await opts.ready();
    if (streams.size >= opts.maxClients) {
      opts.onRejected();
      throw new ProblemError(
        'unavailable',
        `The live stream is at its limit of ${opts.maxClients} connections.`,
        {
          headers: { 'retry-after': '10' },
        },
      );
    }
    const stream = new PassThrough();
    streams.add(stream);
    opts.onClients(streams.size);

    const send = (frame: string): void => {
      if (stream.destroyed) return;
      if (stream.writableLength > opts.maxBufferedBytes) {
        // The client is not reading. Ending the stream would only queue the end behind its backlog (the
        // slot and the memory stay held), so drop the connection itself and free the slot now.
        log.warn({ ip: ctx.ip, bufferedBytes: stream.writableLength }, 'live client too slow; disconnected');
        cleanup();
        ctx.req.socket.destroy();
        stream.destroy();
        return;
      }
      stream.write(frame);
    };
    const unsubscribe = opts.hub.subscribe((e) => send(sseEvent(e.event, e.data)));
    const heartbeat = setInterval(() => send(sseComment('heartbeat')), opts.heartbeatMs);
    // Declared after the two above, which it stops; `send` runs only later, from events and ticks.
    const cleanup = (): void => {
      if (!streams.delete(stream)) return;
      clearInterval(heartbeat);
      unsubscribe();
      opts.onClients(streams.size);
    };
    stream.on('close', cleanup);
    ctx.res.on('close', () => {
      cleanup();
      stream.destroy();
    });

    ctx.req.socket.setNoDelay(true);
    ctx.status = 200;
    ctx.set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: pass events through as they are written
    });
    ctx.body = stream;
    stream.write(sseRetry(5_000));
    stream.write(sseComment('connected'));
  }

  return {
    open,
    closeAll() {
      for (const stream of streams) stream.end();
    },
    count: () => streams.size,
  };
}

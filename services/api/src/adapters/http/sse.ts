import { PassThrough } from 'node:stream';
import type { Logger } from '@telemetry-pulse/shared';
import type { Context } from 'koa';
import type { LiveHub } from '../../domain/live-events';
import { sseComment, sseEvent, sseRetry } from '../../domain/sse';
import { ProblemError } from './problem';

export interface SseOptions {
  readonly hub: LiveHub;
  readonly maxClients: number;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  readonly onClients: (n: number) => void;
  readonly onRejected: () => void;
}

export interface SseStreams {
  /** Answers a request with a live event stream, or a 503 problem when the cap is reached. */
  open(ctx: Context): void;
  /** Ends every stream (shutdown): clients see a clean end and reconnect elsewhere. */
  closeAll(): void;
  count(): number;
}

// A client this far behind is not reading; dropping it bounds the memory one slow reader can hold.
const MAX_BUFFERED_BYTES = 1_048_576;

/** Server-Sent Events connections: a capped set, each with a heartbeat, cleaned up on disconnect. */
export function createSseStreams(opts: SseOptions): SseStreams {
  const log = opts.logger.child({ component: 'sse' });
  const streams = new Set<PassThrough>();

  function open(ctx: Context): void {
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
      if (stream.writableLength > MAX_BUFFERED_BYTES) {
        log.warn({ ip: ctx.ip }, 'live client too slow; disconnected');
        stream.end();
        return;
      }
      stream.write(frame);
    };
    const unsubscribe = opts.hub.subscribe((e) => send(sseEvent(e.event, e.data)));
    const heartbeat = setInterval(() => send(sseComment('heartbeat')), opts.heartbeatMs);
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

import { parseOptions, type Logger } from '@telemetry-pulse/shared';
import { apiOptionSpecs, composeApi, toApiConfig, type Api } from '@telemetry-pulse/api';
import { BROKERS, quietLogger, testKafkaClientOptions } from './infra';

/** Starts the real API (real pg, real kafkajs admin) in-process on a free port, configured like the CLI. */
export async function startTestApi(
  env: Record<string, string>,
  opts: { now?: () => number; logger?: Logger } = {},
): Promise<{ api: Api; url: string }> {
  const parsed = parseOptions(apiOptionSpecs, [], {
    KAFKA_BROKERS: BROKERS.join(','),
    API_PORT: '0',
    API_HOST: '127.0.0.1',
    API_RATE_LIMIT: '0',
    ...env,
  });
  if (parsed.help) throw new Error('unexpected --help');
  const api = composeApi(toApiConfig(parsed.config), opts.logger ?? quietLogger, {
    onKafkaFatal: testKafkaClientOptions.onFatal,
    ...opts,
  });
  const { port } = await api.start();
  return { api, url: `http://127.0.0.1:${port}` };
}

export interface SseFrame {
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/**
 * Reads a Server-Sent Events response frame by frame. `next(match)` resolves with the first frame, from
 * those not yet consumed, that satisfies `match`, or rejects after `timeoutMs`.
 */
export function sseReader(response: Response) {
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame[] = [];
  let buffer = '';
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame: { event?: string; data?: string; comment?: string } = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('data: ')) frame.data = line.slice(6);
        }
        frames.push(frame);
      }
    }
    ended = true;
  })();
  return {
    frames,
    ended: () => ended,
    /** Resolves when the server ends the stream. */
    closed: pump,
    async next(match: (f: SseFrame) => boolean, timeoutMs = 20_000): Promise<SseFrame> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = frames.findIndex(match);
        if (i >= 0) return frames.splice(i, 1)[0] as SseFrame;
        if (ended) throw new Error('stream ended');
        if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

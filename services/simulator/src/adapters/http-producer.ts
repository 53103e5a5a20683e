import type { Logger, MessageProducer, OutboundMessage } from '@telemetry-pulse/shared';

/** The API answered something other than a result or a retryable refusal (bad key, bad request). */
export class HttpIngestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpIngestError';
  }
}

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * A {@link MessageProducer} that sends each batch to the API's `POST /api/v1/readings` as NDJSON (one
 * message value per line), for fleets simulated through the API as devices that cannot speak Kafka. A
 * send resolves when the API answered, i.e. once Kafka acknowledged the valid readings; readings the API
 * refuses (the injected malformed ones) are counted, not errors. 429 and 503 are retried after their
 * Retry-After with the same lines, hence the same event ids, which are stored once. The topic is the
 * API's: `topic` is ignored.
 */
export function createHttpProducer(opts: {
  url: string;
  apiKey: string | undefined;
  logger: Logger;
  /** Attempts per batch before giving up. */
  attempts?: number;
  onRejected?: (n: number) => void;
}): MessageProducer {
  const log = opts.logger.child({ component: 'http-transport' });
  const attempts = opts.attempts ?? 20;
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson',
    ...(opts.apiKey ? { 'x-api-key': opts.apiKey } : {}),
  };
  const line = (m: OutboundMessage): string => {
    const v = m.value === null ? '' : typeof m.value === 'string' ? m.value : m.value.toString('utf8');
    // A line break inside a value (only ever an injected malformed one) would split it into two items.
    return v.replace(/[\r\n]/g, ' ');
  };
  return {
    async connect() {
      const res = await fetch(`${opts.url}/health/live`);
      if (!res.ok)
        throw new HttpIngestError(
          `the API at ${opts.url} answered ${res.status} to /health/live`,
          res.status,
        );
    },
    async disconnect() {},
    async send(_topic, messages) {
      if (messages.length === 0) return;
      const body = `${messages.map(line).join('\n')}\n`;
      for (let attempt = 1; ; attempt += 1) {
        const res = await fetch(`${opts.url}/api/v1/readings`, { method: 'POST', headers, body });
        const text = await res.text();
        if (res.ok) {
          const result = JSON.parse(text) as { rejected: unknown[] };
          if (result.rejected.length > 0) opts.onRejected?.(result.rejected.length);
          return;
        }
        if (!RETRYABLE.has(res.status) || attempt >= attempts) {
          throw new HttpIngestError(
            `POST /api/v1/readings answered ${res.status}: ${text.slice(0, 300)}`,
            res.status,
          );
        }
        const waitS = Math.min(30, Math.max(1, Number(res.headers.get('retry-after')) || 1));
        log.warn({ status: res.status, attempt, waitS }, 'API refused the batch for now; retrying it');
        await new Promise((r) => setTimeout(r, waitS * 1000));
      }
    },
  };
}

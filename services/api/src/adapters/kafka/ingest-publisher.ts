import type { Logger, MessageProducer, OutboundMessage } from '@telemetry-pulse/shared';

/** Kafka did not acknowledge in time (down, slow, or too much already waiting): nothing may be assumed. */
export class IngestUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'IngestUnavailableError';
  }
}

export interface IngestPublisher {
  /**
   * Resolves once Kafka acknowledged every message (acks=all, idempotent producer); rejects with
   * {@link IngestUnavailableError} after the timeout. Messages of concurrent calls travel together.
   */
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  /** True once the producer has connected. */
  connected(): boolean;
  start(): void;
  stop(): Promise<void>;
}

interface Pending {
  readonly messages: readonly OutboundMessage[];
  resolve(): void;
  reject(err: unknown): void;
  /** The caller gave up (timeout): not sent if it has not left yet. */
  abandoned: boolean;
}

/**
 * Publishes HTTP-ingested readings through the shared producer. One send is in flight at a time (the
 * idempotent producer allows no more per partition anyway); what arrives meanwhile is queued and leaves
 * as one send, so many small requests cost few broker round trips. A caller that times out is answered
 * 503 and its messages are dropped from the queue if they have not left; messages already in flight may
 * still land, which is why clients retry with the same event ids (stored once).
 */
export function createIngestPublisher(opts: {
  producer: MessageProducer;
  topic: string;
  timeoutMs: number;
  /** Queued messages beyond which new requests are refused at once instead of waiting. */
  maxQueued: number;
  /** Largest number of messages in one send. */
  maxBatch: number;
  logger: Logger;
}): IngestPublisher {
  const log = opts.logger.child({ component: 'ingest' });
  const retryAfter = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
  let queue: Pending[] = [];
  let queued = 0;
  let draining = false;
  let isConnected = false;
  let connecting: Promise<void> | undefined;
  let stopped = false;

  /** One connection attempt at a time; a failed one is forgotten, so the next send tries again. */
  function ensureConnected(): Promise<void> {
    connecting ??= opts.producer.connect().then(
      () => {
        isConnected = true;
        log.info({ topic: opts.topic }, 'ingest producer connected');
      },
      (err: unknown) => {
        connecting = undefined;
        throw err;
      },
    );
    return connecting;
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0 && !stopped) {
        const batch: Pending[] = [];
        let size = 0;
        while (queue.length > 0) {
          const next = queue[0] as Pending;
          if (batch.length > 0 && size + next.messages.length > opts.maxBatch) break;
          queue.shift();
          queued -= next.messages.length;
          if (next.abandoned) continue;
          batch.push(next);
          size += next.messages.length;
        }
        if (batch.length === 0) continue;
        try {
          await ensureConnected();
          await opts.producer.send(
            opts.topic,
            batch.flatMap((p) => p.messages),
          );
          for (const p of batch) p.resolve();
        } catch (err) {
          log.warn({ err, messages: size }, 'publish failed');
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    connected: () => isConnected,
    start() {
      // Connects in the background: reads do not need Kafka, and ingest answers 503 until it is there.
      ensureConnected().catch((err: unknown) => log.warn({ err }, 'ingest producer could not connect yet'));
    },
    publish(messages) {
      if (messages.length === 0) return Promise.resolve();
      if (stopped) return Promise.reject(new IngestUnavailableError('the API is stopping', retryAfter));
      if (queued + messages.length > opts.maxQueued) {
        return Promise.reject(
          new IngestUnavailableError(`${queued} readings are already waiting for Kafka`, retryAfter),
        );
      }
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.abandoned = true;
          reject(
            new IngestUnavailableError(`Kafka did not acknowledge within ${opts.timeoutMs} ms`, retryAfter),
          );
        }, opts.timeoutMs);
        const pending: Pending = {
          messages,
          abandoned: false,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(
              err instanceof IngestUnavailableError
                ? err
                : new IngestUnavailableError(
                    `Kafka refused the readings: ${(err as Error).message}`,
                    retryAfter,
                  ),
            );
          },
        };
        queue.push(pending);
        queued += messages.length;
        if (!draining) void drain();
      });
    },
    async stop() {
      stopped = true;
      const left = queue;
      queue = [];
      queued = 0;
      for (const p of left) p.reject(new IngestUnavailableError('the API is stopping', retryAfter));
      await opts.producer
        .disconnect()
        .catch((err: unknown) => log.warn({ err }, 'ingest producer disconnect failed'));
    },
  };
}

import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { withPublishSpan } from '../telemetry';
import { KAFKAJS_COMPRESSION, type Compression } from './codecs';

/** A message to publish; `key` chooses the partition (murmur2, as the Java client does). */
export interface OutboundMessage {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Epoch milliseconds; the broker's time when omitted. */
  readonly timestampMs?: number;
}

/** What services need from a producer; the kafkajs implementation below is the only one. */
export interface MessageProducer {
  connect(): Promise<void>;
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(topic: string, messages: readonly OutboundMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ProducerOptions {
  /** Idempotent (exactly-once per partition) delivery; needs acks=all and unlimited retries. */
  readonly idempotent: boolean;
  /** Codec of every batch sent; consumers of any client read all five (see codecs/). */
  readonly compression: Compression;
}

/** kafkajs producer behind {@link MessageProducer}. */
export function createKafkaProducer(kafka: Kafka, opts: ProducerOptions): MessageProducer {
  const producer: Producer = kafka.producer({
    idempotent: opts.idempotent,
    // kafkajs keeps per-partition sequence numbers correct only with one request in flight.
    maxInFlightRequests: opts.idempotent ? 1 : 5,
    // Idempotence only holds if a send is retried until the broker takes it (kafkajs warns otherwise); a
    // dead broker then blocks the send, and the callers' stop deadlines bound that.
    ...(opts.idempotent
      ? { retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 } }
      : {}),
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const compression = KAFKAJS_COMPRESSION[opts.compression];
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(topic, messages) {
      if (messages.length === 0) return;
      // One PRODUCER span per call; its context goes into every message's headers, but never over a
      // header the message already has (a dead letter keeps the trace context of the original reading).
      await withPublishSpan(topic, messages.length, async (traceHeaders) => {
        await producer.send({
          topic,
          acks: -1,
          compression,
          messages: messages.map((m) => {
            const headers = traceHeaders ? { ...traceHeaders, ...m.headers } : m.headers && { ...m.headers };
            return {
              key: m.key,
              value: m.value,
              ...(headers ? { headers } : {}),
              ...(m.timestampMs !== undefined ? { timestamp: String(m.timestampMs) } : {}),
            };
          }),
        });
      });
    },
  };
}

import {
  ROOT_CONTEXT,
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/** Kafka header values as kafkajs hands them over: bytes, text, or a list when a key repeats. */
export type KafkaHeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;
export type KafkaHeaders = Readonly<Record<string, KafkaHeaderValue>>;

/** Reads W3C `traceparent`/`tracestate` from Kafka headers; the first value wins when a key repeats. */
export const kafkaHeaderGetter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const raw = carrier[key];
    const first = Array.isArray(raw)
      ? (raw as readonly (Buffer | string)[])[0]
      : (raw as Buffer | string | undefined);
    if (first === undefined) return undefined;
    return typeof first === 'string' ? first : first.toString('utf8');
  },
};

/** Writes propagation fields as plain strings (kafkajs encodes them as UTF-8). */
export const kafkaHeaderSetter: TextMapSetter<Record<string, string | Buffer>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * Adds the trace context of `ctx` (the active one by default) to `carrier` with the globally registered
 * propagator (W3C trace context when the SDK runs; nothing at all when tracing is off).
 */
export function injectTraceHeaders(
  carrier: Record<string, string | Buffer>,
  ctx: Context = context.active(),
): Record<string, string | Buffer> {
  propagation.inject(ctx, carrier, kafkaHeaderSetter);
  return carrier;
}

/** The context a producer put into the headers of one Kafka message (`base`, the root, when none). */
export function extractContext(headers: KafkaHeaders, base: Context = ROOT_CONTEXT): Context {
  return propagation.extract(base, headers, kafkaHeaderGetter);
}

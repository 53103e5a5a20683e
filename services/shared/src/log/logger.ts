import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import type { LOG_LEVELS } from '../config/service-options';

export type Logger = pino.Logger;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Field paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'sasl.password',
  '*.sasl.password',
  'tls.key',
  '*.tls.key',
  'tls.passphrase',
  '*.tls.passphrase',
  'databaseUrl',
  '*.databaseUrl',
  'apiKey',
  '*.apiKey',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

/**
 * `trace_id` and `span_id` of the active span, for every log line written inside one (pino `mixin`).
 * Cheap when tracing is off: one context lookup. Always a fresh object: pino merges the line's fields into it.
 */
export function traceFields(): Record<string, string> {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (ctx === undefined || !isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/**
 * pino's error serializer, without the `client` node-postgres' pool attaches to an idle connection's error:
 * the whole pg Client (connection parameters with the password, type tables, socket state), ~4 KB of a
 * log line that the redaction paths cannot reach at that depth.
 */
export function serializeError(err: unknown): unknown {
  const out: unknown = pino.stdSerializers.err(err as Error);
  if (typeof out === 'object' && out !== null && 'client' in out) {
    const { client: _client, ...rest } = out as Record<string, unknown>;
    return rest;
  }
  return out;
}

/**
 * The one root logger of a service: JSON lines to stdout, `service` on every line, `trace_id`/`span_id`
 * when a span is active, secrets redacted, errors by {@link serializeError}. Components take `logger.child({ component })`.
 */
export function createLogger(opts: {
  service: string;
  level: LogLevel;
  destination?: pino.DestinationStream;
  mixin?: () => Record<string, unknown>;
}): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }) },
      mixin: opts.mixin ? () => ({ ...traceFields(), ...opts.mixin?.() }) : traceFields,
    },
    opts.destination,
  );
}

/** Replaces the password of a connection URL, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
}

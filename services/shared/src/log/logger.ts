import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Field paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'sasl.password',
  '*.sasl.password',
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
 * The one root logger of a service: JSON lines to stdout, `service` on every line, secrets redacted.
 * Components take `logger.child({ component })`.
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
      formatters: { level: (label) => ({ level: label }) },
      ...(opts.mixin ? { mixin: opts.mixin } : {}),
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

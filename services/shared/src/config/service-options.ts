import { opt } from './values';
import type { OptionSpec } from './options';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Options every long-running service shares: log level and the graceful-stop deadline. */
export const serviceOptionSpecs = {
  shutdownTimeoutMs: {
    env: 'SHUTDOWN_TIMEOUT',
    help: 'Deadline for a graceful stop.',
    defaultText: '25s',
    schema: opt.duration('25s', 1000),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    help: 'fatal, error, warn, info, debug, trace or silent.',
    defaultText: 'info',
    schema: opt.oneOf(LOG_LEVELS, 'info'),
  },
} satisfies Record<string, OptionSpec>;

import {
  DEFAULT_DLQ_TOPIC,
  DEFAULT_TOPIC,
  kafkaOptionSpecs,
  LOG_LEVELS,
  opt,
  type OptionSpec,
} from '@telemetry-pulse/shared';
import { z } from 'zod';
import { parseTimeBound } from '../domain/filter';

/**
 * `--since` / `--until` text, checked here so its mistakes are reported with every other one; turned
 * into an instant later, against the clock the command starts with (validity does not depend on it).
 */
const timeBound = () =>
  z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      const b = text === undefined ? undefined : parseTimeBound(text, 0);
      if (b && !b.ok) ctx.addIssue({ code: 'custom', message: b.reason });
    });

/** Options of every command: where the brokers and the DLQ are, and how long a read may stall. */
export const commonOptionSpecs = {
  ...kafkaOptionSpecs,
  dlqTopic: {
    flag: 'dlq-topic',
    // The processor's variable: run beside the processor, the tool reads the DLQ the processor writes.
    env: 'PROCESSOR_DLQ_TOPIC',
    help: 'Dead-letter topic to read.',
    defaultText: DEFAULT_DLQ_TOPIC,
    schema: opt.string(DEFAULT_DLQ_TOPIC),
  },
  readTimeoutMs: {
    flag: 'read-timeout',
    env: 'DLQ_READ_TIMEOUT',
    help: 'Fail when reading the DLQ makes no progress for this long (joining takes ~3 s).',
    defaultText: '30s',
    schema: opt.duration('30s', 1000),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    help: "Kafka client log level, written to stderr; the tool's own output does not depend on it.",
    defaultText: 'silent',
    schema: opt.oneOf(LOG_LEVELS, 'silent'),
  },
} satisfies Record<string, OptionSpec>;

// Filters are flags only: an environment variable left over from an earlier run must never narrow
// or widen what a replay sends.
export const filterOptionSpecs = {
  errorCodes: {
    flag: 'error',
    help: 'Only letters with this x-error-code (case-insensitive); repeat the flag or give a comma list.',
    schema: opt.list(''),
  },
  since: {
    flag: 'since',
    help: 'Only letters dead-lettered at or after this: a duration back from now (2h, 7d) or ISO-8601.',
    schema: timeBound(),
  },
  until: {
    flag: 'until',
    help: 'Only letters dead-lettered before this: a duration back from now or ISO-8601.',
    schema: timeBound(),
  },
  partition: { flag: 'partition', help: 'Only this DLQ partition.', schema: opt.optionalInt(0, 999_999) },
} satisfies Record<string, OptionSpec>;

const jsonSpec = {
  flag: 'json',
  boolean: true,
  help: 'One JSON object per dead letter and line, with every header, key and value in full.',
  schema: opt.bool(false),
} satisfies OptionSpec;

export const listOptionSpecs = {
  ...commonOptionSpecs,
  ...filterOptionSpecs,
  limit: {
    flag: 'limit',
    help: 'Show at most this many matching letters (0: all); the summary still counts every match.',
    defaultText: '100',
    schema: opt.int(100, 0, 1_000_000_000),
  },
  json: jsonSpec,
} satisfies Record<string, OptionSpec>;

export const inspectOptionSpecs = { ...commonOptionSpecs, json: jsonSpec } satisfies Record<
  string,
  OptionSpec
>;

export const replayOptionSpecs = {
  ...commonOptionSpecs,
  ...filterOptionSpecs,
  limit: {
    flag: 'limit',
    help: 'Replay at most this many letters, then stop (skipped ones do not count).',
    defaultText: 'all',
    schema: opt.optionalInt(1, 1_000_000_000),
  },
  targetTopic: {
    flag: 'target-topic',
    env: 'DLQ_TARGET_TOPIC',
    help: `Topic to re-publish to. By default each letter's x-original-topic header, else ${DEFAULT_TOPIC}.`,
    defaultText: 'x-original-topic',
    schema: opt.optionalString(),
  },
  maxReplays: {
    flag: 'max-replays',
    env: 'DLQ_MAX_REPLAYS',
    help: 'Skip letters whose x-replay-count already reached this, so a message that keeps failing stops looping.',
    defaultText: '3',
    schema: opt.int(3, 1, 1000),
  },
  dryRun: {
    flag: 'dry-run',
    boolean: true,
    help: 'Report what would be replayed or skipped; send nothing.',
    schema: opt.bool(false),
  },
} satisfies Record<string, OptionSpec>;

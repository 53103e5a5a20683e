import {
  ConfigError,
  databaseOptionSpecs,
  DEFAULT_DLQ_TOPIC,
  DEFAULT_TOPIC,
  kafkaOptionSpecs,
  opt,
  parseDurationMs,
  serviceOptionSpecs,
  omitKafkaOptions,
  toKafkaConnection,
  type ConfigOf,
  type KafkaConnection,
  type KafkaOptionKey,
  type OptionSpec,
} from '@telemetry-pulse/shared';
import { z } from 'zod';
import { MAX_RAW_PARTITIONS, rawPartitionsKept } from './domain/retention';

/** Every processor option: flag, environment variable, default. docs/configuration.md's table is generated from this (npm run docs). */
export const processorOptionSpecs = {
  ...kafkaOptionSpecs,
  ...databaseOptionSpecs,
  topic: {
    flag: 'topic',
    env: 'PROCESSOR_TOPIC',
    help: 'Topic to consume.',
    defaultText: DEFAULT_TOPIC,
    schema: opt.string(DEFAULT_TOPIC),
  },
  dlqTopic: {
    flag: 'dlq-topic',
    env: 'PROCESSOR_DLQ_TOPIC',
    help: 'Dead-letter topic for poison messages.',
    defaultText: DEFAULT_DLQ_TOPIC,
    schema: opt.string(DEFAULT_DLQ_TOPIC),
  },
  groupId: {
    flag: 'group',
    env: 'PROCESSOR_GROUP_ID',
    help: 'Consumer group shared by all processor instances.',
    defaultText: 'telemetry-processor',
    schema: opt.string('telemetry-processor'),
  },
  partitions: {
    env: 'PROCESSOR_TOPIC_PARTITIONS',
    help: 'Partitions used when the processor has to create the topics.',
    defaultText: '6',
    schema: opt.int(6, 1, 1024),
  },
  concurrency: {
    flag: 'concurrency',
    env: 'PROCESSOR_CONCURRENCY',
    help: 'Partitions processed at once by one instance.',
    defaultText: '3',
    schema: opt.int(3, 1, 64),
  },
  maxBatchBytes: {
    flag: 'max-batch-bytes',
    env: 'PROCESSOR_MAX_BATCH_BYTES',
    help: 'Bytes fetched per partition per request; bounds the batch size (about 250 bytes per event).',
    defaultText: '1048576',
    schema: opt.int(1_048_576, 1024, 64 * 1_048_576),
  },
  windows: {
    env: 'PROCESSOR_WINDOWS',
    help: 'Tumbling window widths, comma-separated durations.',
    defaultText: '5m,15m',
    schema: opt.list('5m,15m').transform((items, ctx) => {
      const secs = items.map((s) => {
        const m = /^(\d+)(s|m|h)$/.exec(s);
        return m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'] : Number.NaN;
      });
      if (secs.some((s) => !Number.isInteger(s) || s <= 0) || new Set(secs).size !== secs.length) {
        ctx.addIssue({ code: 'custom', message: 'must be distinct durations like 5m,15m,1h' });
        return z.NEVER;
      }
      return secs;
    }),
  },
  allowedLatenessMs: {
    env: 'PROCESSOR_ALLOWED_LATENESS',
    help: 'Watermark slack: the watermark trails the newest event time by this much.',
    defaultText: '2m',
    schema: opt.duration('2m'),
  },
  windowGraceMs: {
    env: 'PROCESSOR_WINDOW_GRACE',
    help: 'A window is final once the watermark passes its end plus this grace.',
    defaultText: '1m',
    schema: opt.duration('1m'),
  },
  lateHorizonMs: {
    env: 'PROCESSOR_LATE_HORIZON',
    help: 'Readings older than watermark minus this are stored raw, flagged too_late and not aggregated.',
    defaultText: '24h',
    schema: opt.duration('24h', 1000),
  },
  rawRetentionMs: {
    env: 'PROCESSOR_RAW_RETENTION',
    help: 'Raw readings are kept at least this long (event time), then their partition is dropped; also the event-id dedup horizon. Older readings are counted as expired, not stored.',
    defaultText: '7d',
    schema: opt.duration('7d', 86_400_000),
  },
  rawPartitionMs: {
    env: 'PROCESSOR_RAW_PARTITION',
    help: 'Width of one raw_events partition, whole days (UTC midnight to midnight); the retention and the partitions ahead may span at most 1,000.',
    defaultText: '1d',
    schema: opt.duration('1d', 86_400_000),
  },
  partitionsAhead: {
    env: 'PROCESSOR_PARTITIONS_AHEAD',
    help: 'Raw partitions created ahead of the current one.',
    defaultText: '2',
    schema: opt.int(2, 1, 60),
  },
  deadLetterRetentionMs: {
    env: 'PROCESSOR_DEAD_LETTER_RETENTION',
    help: 'Dead letters the DLQ topic acknowledged are deleted from PostgreSQL this long after they were dead-lettered (the topic keeps them for its own retention); one never published is kept until it is.',
    defaultText: '30d',
    schema: opt.duration('30d', 86_400_000),
  },
  notificationRetentionMs: {
    env: 'PROCESSOR_NOTIFICATION_RETENTION',
    help: 'Alert transitions and their notification deliveries are deleted this long after the transition, once no delivery is pending and the alert is resolved; must exceed the notifications max_age.',
    defaultText: '30d',
    schema: opt.duration('30d', 86_400_000),
  },
  windowRetention: {
    env: 'PROCESSOR_WINDOW_RETENTION',
    help: 'How long windows of each width are kept, as width=duration pairs; widths not listed (the roll-ups by default) are kept forever.',
    defaultText: '5m=90d,15m=365d',
    schema: opt.list('5m=90d,15m=365d').transform((items, ctx) => {
      const pairs = items.map((item) => {
        const [width, keep] = item.split('=');
        const secs = width === undefined ? undefined : parseDurationMs(width);
        const ms = keep === undefined ? undefined : parseDurationMs(keep);
        return secs !== undefined && secs >= 1000 && secs % 1000 === 0 && ms !== undefined && ms >= 86_400_000
          ? ([secs / 1000, ms] as const)
          : undefined;
      });
      if (pairs.some((p) => p === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'must be pairs like 5m=90d,15m=365d (at least 1d each)' });
        return z.NEVER;
      }
      return new Map(pairs.filter((p) => p !== undefined));
    }),
  },
  rollups: {
    env: 'PROCESSOR_ROLLUPS',
    help: 'Roll-up widths materialised in each batch from the widest window that tiles them (1h and 1d from 15m).',
    defaultText: '1h,1d',
    schema: opt.list('1h,1d').transform((items, ctx) => {
      const secs = items.map((s) => parseDurationMs(s) ?? Number.NaN).map((ms) => ms / 1000);
      if (secs.some((s) => !Number.isInteger(s) || s <= 0) || new Set(secs).size !== secs.length) {
        ctx.addIssue({ code: 'custom', message: 'must be distinct durations like 1h,1d' });
        return z.NEVER;
      }
      return secs;
    }),
  },
  storageIntervalMs: {
    env: 'PROCESSOR_STORAGE_INTERVAL',
    help: 'How often one processor (an advisory lock elects it) creates raw partitions and applies the retentions (raw, windows, dead letters, notifications).',
    defaultText: '10m',
    schema: opt.duration('10m', 1000),
  },
  idleAfterMs: {
    env: 'PROCESSOR_IDLE_AFTER',
    help: 'A caught-up partition (lag 0) without readings this long has its watermark advanced by the wall clock.',
    defaultText: '30s',
    schema: opt.duration('30s', 1000),
  },
  maxFutureSkewMs: {
    env: 'PROCESSOR_MAX_FUTURE_SKEW',
    help: 'Readings stamped further ahead of the processor clock are dead-lettered (FUTURE_EVENT_TIME).',
    defaultText: '10m',
    schema: opt.duration('10m'),
  },
  alertRulesFile: {
    flag: 'alert-rules',
    env: 'ALERT_RULES_FILE',
    help: 'JSON file of alert rules; the documented defaults when unset.',
    schema: opt.optionalString(),
  },
  notificationsConfig: {
    flag: 'notifications',
    env: 'NOTIFICATIONS_CONFIG',
    help: 'YAML or JSON file of notification channels (docs/notifications.md); no notifications are sent when unset.',
    schema: opt.optionalString(),
  },
  retryBaseMs: {
    env: 'PROCESSOR_RETRY_BASE',
    help: 'First retry delay for transient failures.',
    defaultText: '200ms',
    schema: opt.duration('200ms', 1),
  },
  retryMaxMs: {
    env: 'PROCESSOR_RETRY_MAX',
    help: 'Longest retry delay (backoff cap).',
    defaultText: '5s',
    schema: opt.duration('5s', 1),
  },
  pauseAfterMs: {
    env: 'PROCESSOR_PAUSE_AFTER',
    help: 'After failing this long, the partition is paused (still heartbeating) until the database answers.',
    defaultText: '5s',
    schema: opt.duration('5s'),
  },
  failedBatchAttempts: {
    env: 'PROCESSOR_FAILED_BATCH_ATTEMPTS',
    help: 'Attempts of a batch failing for a reason that is not transient (a bug) before it is applied in parts and each record still failing is dead-lettered (PROCESSING_FAILED); the partition waits the retry backoff between attempts, the others go on.',
    defaultText: '3',
    schema: opt.int(3, 1, 100),
  },
  sessionTimeoutMs: {
    env: 'KAFKA_SESSION_TIMEOUT',
    help: 'Consumer group session timeout.',
    defaultText: '30s',
    schema: opt.duration('30s', 6000),
  },
  heartbeatIntervalMs: {
    env: 'KAFKA_HEARTBEAT_INTERVAL',
    help: 'Consumer heartbeat interval.',
    defaultText: '3s',
    schema: opt.duration('3s', 100),
  },
  maintenanceIntervalMs: {
    env: 'PROCESSOR_MAINTENANCE_INTERVAL',
    help: 'How often idle watermarks advance and windows are finalised.',
    defaultText: '5s',
    schema: opt.duration('5s', 100),
  },
  port: {
    flag: 'port',
    env: 'PROCESSOR_PORT',
    help: 'Port of /healthz, /readyz and /metrics (0 = any free port).',
    defaultText: '9464',
    schema: opt.int(9464, 0, 65535),
  },
  host: {
    env: 'PROCESSOR_HOST',
    help: 'Address the operations server binds.',
    defaultText: '0.0.0.0',
    schema: opt.string('0.0.0.0'),
  },
  ...serviceOptionSpecs,
} satisfies Record<string, OptionSpec>;

export type ProcessorOptions = ConfigOf<typeof processorOptionSpecs>;
export interface ProcessorConfig extends Omit<ProcessorOptions, KafkaOptionKey> {
  readonly kafka: KafkaConnection;
}

/** Cross-field rules; throws ConfigError listing every problem. */
export function toProcessorConfig(o: ProcessorOptions): ProcessorConfig {
  const problems: string[] = [];
  const kafka = toKafkaConnection(o, problems);
  if (o.retryBaseMs > o.retryMaxMs) problems.push('PROCESSOR_RETRY_BASE must not exceed PROCESSOR_RETRY_MAX');
  if (o.heartbeatIntervalMs * 3 > o.sessionTimeoutMs) {
    problems.push('KAFKA_HEARTBEAT_INTERVAL must be at most a third of KAFKA_SESSION_TIMEOUT');
  }
  if (o.topic === o.dlqTopic) problems.push('PROCESSOR_DLQ_TOPIC must differ from PROCESSOR_TOPIC');
  if (o.rawPartitionMs % 86_400_000 !== 0)
    problems.push('PROCESSOR_RAW_PARTITION must be a whole number of days');
  const kept = rawPartitionsKept({
    rawRetentionMs: o.rawRetentionMs,
    partitionMs: o.rawPartitionMs,
    partitionsAhead: o.partitionsAhead,
  });
  if (kept > MAX_RAW_PARTITIONS) {
    const wider = Math.ceil(o.rawRetentionMs / 86_400_000 / (MAX_RAW_PARTITIONS - 1 - o.partitionsAhead));
    problems.push(
      `PROCESSOR_RAW_RETENTION with PROCESSOR_RAW_PARTITION keeps ${kept} raw partitions, more than ${MAX_RAW_PARTITIONS}: ` +
        `use partitions of at least ${wider}d`,
    );
  }
  // An expired reading is neither stored nor aggregated: every reading the windows may still take must be
  // inside the raw retention, or a replay would count it twice (no stored row to dedup against).
  if (o.rawRetentionMs <= o.lateHorizonMs) {
    problems.push('PROCESSOR_RAW_RETENTION must exceed PROCESSOR_LATE_HORIZON');
  }
  // A roll-up width that is also a window (PROCESSOR_WINDOWS=5m,15m,1h) is that window, aggregated from the
  // raw readings: it is not rolled up a second time.
  const rollups = o.rollups.filter((secs) => !o.windows.includes(secs));
  for (const [secs, keepMs] of o.windowRetention) {
    if (!o.windows.includes(secs) && !rollups.includes(secs)) {
      problems.push(`PROCESSOR_WINDOW_RETENTION names ${secs} s, which is neither a window nor a roll-up`);
    }
    if (keepMs <= o.lateHorizonMs) {
      problems.push('PROCESSOR_WINDOW_RETENTION must keep each width longer than PROCESSOR_LATE_HORIZON');
    }
  }
  for (const secs of rollups) {
    if (rollupSourceSeconds(o.windows, [secs]) === null) {
      problems.push(`PROCESSOR_ROLLUPS ${secs} s is not a multiple of any PROCESSOR_WINDOWS width`);
    }
  }
  if (rollups.length > 1 && rollupSourceSeconds(o.windows, rollups) === null) {
    problems.push('PROCESSOR_ROLLUPS must all be multiples of one PROCESSOR_WINDOWS width');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...omitKafkaOptions(o), rollups, kafka });
}

/** The widest window width that tiles every roll-up width (900 s for 1 h and 1 d), or null. */
export function rollupSourceSeconds(windows: readonly number[], rollups: readonly number[]): number | null {
  const fits = windows.filter((w) => rollups.every((r) => r % w === 0 && r > w));
  return fits.length === 0 ? null : Math.max(...fits);
}

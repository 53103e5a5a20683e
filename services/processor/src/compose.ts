import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  formatDurationMs,
  createKafkaBatchConsumer,
  createKafkaClient,
  createConsumerLagReader,
  createKafkaProducer,
  createPool,
  ensureTopics,
  exitOnKafkaFatal,
  type KafkaClientOptions,
  type Logger,
} from '@telemetry-pulse/shared';
import { parse as parseYaml } from 'yaml';
import { createProcessor, type Processor } from './app';
import type { ProcessorConfig } from './config';
import { DEFAULT_ALERT_RULES, parseAlertRules, type AlertRule } from './domain/alerts';
import { createProcessorMetrics } from './metrics';
import { parseNotificationsConfig, resolveSecrets, type NotificationsConfig } from './domain/notifications';
import type { ChannelResources } from './adapters/notifications/channels';

/** The notification channels and their secrets, when NOTIFICATIONS_CONFIG names a file. */
export interface LoadedNotifications {
  readonly config: NotificationsConfig;
  /** Per channel: secrets from the environment and an e-mail channel's CA (PEM), read at start. */
  readonly resources: ReadonlyMap<string, ChannelResources>;
}

/**
 * Reads and validates the NOTIFICATIONS_CONFIG file (YAML, of which JSON is a subset) and resolves the
 * secrets it names from `env`; every problem becomes one line of a ConfigError.
 */
export async function loadNotifications(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedNotifications | undefined> {
  if (file === undefined) return undefined;
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([
      `NOTIFICATIONS_CONFIG ${file}: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  const parsed = parseNotificationsConfig(doc);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `NOTIFICATIONS_CONFIG ${file}: ${p}`));
  const secrets = resolveSecrets(parsed.config, env);
  if (!secrets.ok) throw new ConfigError(secrets.problems.map((p) => `NOTIFICATIONS_CONFIG ${file}: ${p}`));
  const resources = new Map<string, ChannelResources>();
  const problems: string[] = [];
  for (const [i, channel] of parsed.config.channels.entries()) {
    const own: ChannelResources = secrets.secrets.get(channel.name) ?? {};
    if (channel.type === 'email' && channel.smtp.ca_file !== undefined) {
      try {
        resources.set(channel.name, { ...own, ca: await readFile(channel.smtp.ca_file, 'utf8') });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        problems.push(`NOTIFICATIONS_CONFIG ${file}: channels[${i}].smtp.ca_file: ${reason}`);
      }
    } else resources.set(channel.name, own);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: parsed.config, resources };
}

/**
 * The storage pass deletes settled transitions older than the retention, and the dispatcher routes any
 * transition younger than its max age that has no delivery: a retention inside the max age would let a
 * deleted transition be routed, and sent, again.
 */
export function checkNotificationRetention(
  retentionMs: number,
  notifications: NotificationsConfig | undefined,
): void {
  if (notifications !== undefined && retentionMs <= notifications.max_age) {
    throw new ConfigError([
      `PROCESSOR_NOTIFICATION_RETENTION (${formatDurationMs(retentionMs)}) must exceed NOTIFICATIONS_CONFIG max_age (${formatDurationMs(notifications.max_age)})`,
    ]);
  }
}

/** Reads the alert rules file, or returns the documented defaults; problems become a ConfigError. */
export async function loadAlertRules(file: string | undefined): Promise<readonly AlertRule[]> {
  if (file === undefined) return DEFAULT_ALERT_RULES;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`ALERT_RULES_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const parsed = parseAlertRules(json);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `ALERT_RULES_FILE ${file}: ${p}`));
  return parsed.rules;
}

/** Wires the real Kafka and PostgreSQL adapters into a processor (used by main.ts and the tests). */
export async function composeProcessor(
  config: ProcessorConfig,
  logger: Logger,
  opts: {
    onKafkaFatal?: KafkaClientOptions['onFatal'];
    /** Where notification secrets are read from (the process environment by default). */
    env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<Processor> {
  const alertRules = await loadAlertRules(config.alertRulesFile);
  const notifications = await loadNotifications(config.notificationsConfig, opts.env ?? process.env);
  checkNotificationRetention(config.notificationRetentionMs, notifications?.config);
  const kafka = createKafkaClient(config.kafka, logger, {
    onFatal: opts.onKafkaFatal ?? exitOnKafkaFatal(logger),
  });
  const pool = createPool({
    url: config.databaseUrl,
    ca: config.databaseCa,
    caFile: config.databaseCaFile,
    // Each notification channel's leader holds one connection for its lock: on top of what batches use.
    max:
      Math.max(config.databasePoolMax, config.concurrency + 2) + (notifications?.config.channels.length ?? 0),
    applicationName: 'telemetry-processor',
    logger,
  });
  return createProcessor({
    config,
    logger,
    pool,
    alertRules,
    notifications,
    metrics: createProcessorMetrics(),
    lagReader: createConsumerLagReader(kafka, logger),
    dlqProducer: createKafkaProducer(kafka, { idempotent: true, compression: 'none' }),
    consumer: createKafkaBatchConsumer(
      kafka,
      {
        groupId: config.groupId,
        topic: config.topic,
        fromBeginning: true,
        concurrency: config.concurrency,
        maxBytesPerPartition: config.maxBatchBytes,
        sessionTimeoutMs: config.sessionTimeoutMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
      },
      logger,
    ),
    ensureTopics: () =>
      ensureTopics(
        kafka,
        [
          { topic: config.topic, partitions: config.partitions },
          { topic: config.dlqTopic, partitions: 1 },
        ],
        logger,
      ),
  });
}

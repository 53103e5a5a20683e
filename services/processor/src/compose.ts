import { readFile } from 'node:fs/promises';
import {
  ConfigError,
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
import { createProcessor, type Processor } from './app';
import type { ProcessorConfig } from './config';
import { DEFAULT_ALERT_RULES, parseAlertRules, type AlertRule } from './domain/alerts';
import { createProcessorMetrics } from './metrics';

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
  opts: { onKafkaFatal?: KafkaClientOptions['onFatal'] } = {},
): Promise<Processor> {
  const alertRules = await loadAlertRules(config.alertRulesFile);
  const kafka = createKafkaClient(config.kafka, logger, {
    onFatal: opts.onKafkaFatal ?? exitOnKafkaFatal(logger),
  });
  const pool = createPool({
    url: config.databaseUrl,
    ca: config.databaseCa,
    caFile: config.databaseCaFile,
    max: Math.max(config.databasePoolMax, config.concurrency + 2),
    applicationName: 'telemetry-processor',
    logger,
  });
  return createProcessor({
    config,
    logger,
    pool,
    alertRules,
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

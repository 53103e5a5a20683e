import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from '../log';
import { registerCompressionCodecs } from './codecs';
import { filterKafkajsNegativeTimeoutWarning } from './negative-timeout-warning';
import type { KafkaConnection } from './options';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The kafkajs client, logging through the service's pino logger. The only place kafkajs is configured: it
 * also registers the snappy, lz4 and zstd codecs, so no client of the project fails a fetch on them, and
 * keeps kafkajs's harmless negative-timer warning off stderr on Node 24.
 */
export function createKafkaClient(conn: KafkaConnection, logger: Logger): Kafka {
  registerCompressionCodecs();
  filterKafkajsNegativeTimeoutWarning();
  const log = logger.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: conn.clientId,
    brokers: [...conn.brokers],
    ssl: conn.ssl,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, timestamp: _ts, logger: _l, ...fields } = entry;
        const method = LEVELS[level] ?? 'info';
        log[method](fields, message);
      },
  };
  if (conn.sasl) config.sasl = conn.sasl as SASLOptions;
  return new Kafka(config);
}

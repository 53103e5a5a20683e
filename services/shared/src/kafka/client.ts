import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from '../log';
import { registerCompressionCodecs } from './codecs';
import { classifyKafkaError, KafkaFatalError } from './fatal';
import { kafkajsLogMethod } from './log-level';
import { filterKafkajsNegativeTimeoutWarning } from './negative-timeout-warning';
import type { KafkaConnection } from './options';

const KEEP_ALIVE_DELAY_MS = 60_000; // as kafkajs' own socket factory

export interface KafkaClientOptions {
  /**
   * Called once, on the first failure no retry can cure (see {@link classifyKafkaError}): the composition
   * root decides what that means (a service exits, the DLQ tool reports, the operator marks the pipeline).
   */
  readonly onFatal: (err: KafkaFatalError) => void;
}

/** kafkajs' TLS options, built fresh for every client: kafkajs copies and mutates what it is given. */
function tlsOptions(conn: KafkaConnection): ConnectionOptions | false {
  if (!conn.ssl) return false;
  // Server names are always checked (rejectUnauthorized stays Node's default, true); a CA given replaces
  // Node's built-in roots, as librdkafka's ssl.ca.location does.
  return { ...conn.tls };
}

/**
 * The kafkajs client, logging through the service's pino logger. The only place kafkajs is configured: it
 * also registers the snappy, lz4 and zstd codecs, so no client of the project fails a fetch on them, and
 * keeps kafkajs's harmless negative-timer warning off stderr on Node 24, and watches every connection for
 * fatal failures (bad credentials or certificates), which it reports through `onFatal` instead of letting
 * kafkajs retry them for minutes.
 */
export function createKafkaClient(conn: KafkaConnection, logger: Logger, opts: KafkaClientOptions): Kafka {
  registerCompressionCodecs();
  filterKafkajsNegativeTimeoutWarning();
  const log = logger.child({ component: 'kafkajs' });
  let reported = false;
  const report = (broker: string, err: unknown): void => {
    const reason = classifyKafkaError(err);
    if (!reason || reported) return;
    reported = true;
    opts.onFatal(new KafkaFatalError(broker, reason, { cause: err }));
  };
  // kafkajs' default socket factory, plus a listener that sees TLS failures before kafkajs wraps them in
  // retriable connection errors.
  const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect(
          {
            host,
            port,
            ...(isIP(host) ? {} : { servername: host }),
            ...(typeof ssl === 'object' ? ssl : {}),
          },
          onConnect,
        )
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    socket.on('error', (err) => report(`${host}:${port}`, err));
    return socket;
  };
  const config: KafkaConfig = {
    clientId: conn.clientId,
    brokers: [...conn.brokers],
    ssl: tlsOptions(conn),
    socketFactory,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, timestamp: _ts, logger: _l, ...fields } = entry;
        // SASL failures surface only here with their broker (kafkajs logs, then throws without it).
        if (level === logLevel.ERROR && typeof fields['broker'] === 'string') {
          report(fields['broker'], { message, cause: { message: fields['error'] } });
        }
        if (reported) return; // the one fatal line says it all; no retry chatter after it
        log[kafkajsLogMethod(level, message, fields)](fields, message);
      },
  };
  // A fresh plain object: the config's is frozen, and kafkajs writes into the one it is handed.
  if (conn.sasl) config.sasl = { ...conn.sasl } as SASLOptions;
  return new Kafka(config);
}

import { z } from 'zod';
import { opt, type OptionSpec } from '../config';
import { pemFileSchema, pemTextSchema, toKafkaTls, type KafkaTls, type KafkaTlsInput } from './tls-options';

/** Connection options shared by every Kafka client of the project (local broker, Redpanda, Aiven, Strimzi). */
export const kafkaOptionSpecs = {
  brokers: {
    env: 'KAFKA_BROKERS',
    help: 'Comma-separated bootstrap brokers, host:port.',
    defaultText: '127.0.0.1:9092',
    schema: opt
      .list('127.0.0.1:9092')
      .pipe(
        z
          .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port'))
          .min(1, 'at least one broker'),
      ),
  },
  clientId: {
    env: 'KAFKA_CLIENT_ID',
    help: 'Client id sent to the broker (quotas, broker logs).',
    defaultText: 'telemetry-pulse',
    schema: opt.string('telemetry-pulse'),
  },
  saslMechanism: {
    env: 'KAFKA_SASL_MECHANISM',
    help: 'SASL mechanism: none, plain, scram-sha-256 or scram-sha-512.',
    defaultText: 'none',
    schema: opt.oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const, 'none'),
  },
  saslUsername: { env: 'KAFKA_SASL_USERNAME', help: 'SASL user name.', schema: opt.optionalString() },
  saslPassword: {
    env: 'KAFKA_SASL_PASSWORD',
    help: 'SASL password.',
    secret: true,
    schema: opt.optionalString(),
  },
  ssl: {
    env: 'KAFKA_SSL',
    help: 'Use TLS to the brokers: true, false or auto (on when a SASL mechanism or any KAFKA_SSL_CA/CERT/KEY is set).',
    defaultText: 'auto',
    schema: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined || s === 'auto') return 'auto' as const;
        if (['true', '1', 'yes'].includes(s)) return true;
        if (['false', '0', 'no'].includes(s)) return false;
        ctx.addIssue({ code: 'custom', message: 'must be true, false or auto' });
        return z.NEVER;
      }),
  },
  sslCa: {
    env: 'KAFKA_SSL_CA',
    help: "CA bundle (PEM text) the brokers' certificates must chain to; replaces Node's built-in roots. Implies TLS.",
    schema: pemTextSchema('KAFKA_SSL_CA_FILE'),
  },
  sslCaFile: {
    env: 'KAFKA_SSL_CA_FILE',
    help: 'Path of a PEM CA bundle, as KAFKA_SSL_CA (Strimzi: ca.crt of <cluster>-cluster-ca-cert).',
    schema: pemFileSchema(),
  },
  sslCert: {
    env: 'KAFKA_SSL_CERT',
    help: 'Client certificate (PEM text) for mutual TLS; needs KAFKA_SSL_KEY or KAFKA_SSL_KEY_FILE.',
    schema: pemTextSchema('KAFKA_SSL_CERT_FILE'),
  },
  sslCertFile: {
    env: 'KAFKA_SSL_CERT_FILE',
    help: 'Path of the PEM client certificate, as KAFKA_SSL_CERT (Strimzi: user.crt).',
    schema: pemFileSchema(),
  },
  sslKey: {
    env: 'KAFKA_SSL_KEY',
    help: 'Private key (PEM text) of the client certificate.',
    secret: true,
    schema: pemTextSchema('KAFKA_SSL_KEY_FILE'),
  },
  sslKeyFile: {
    env: 'KAFKA_SSL_KEY_FILE',
    help: 'Path of the PEM private key, as KAFKA_SSL_KEY (Strimzi: user.key).',
    schema: pemFileSchema(),
  },
  sslKeyPassword: {
    env: 'KAFKA_SSL_KEY_PASSWORD',
    help: 'Passphrase of an encrypted private key.',
    secret: true,
    schema: opt.optionalString(),
  },
} satisfies Record<string, OptionSpec>;

export type KafkaOptionKey = keyof typeof kafkaOptionSpecs;

/** The options without the Kafka connection ones, which {@link toKafkaConnection} turned into one value. */
export function omitKafkaOptions<T extends Record<KafkaOptionKey, unknown>>(o: T): Omit<T, KafkaOptionKey> {
  const kafkaKeys = new Set<string>(Object.keys(kafkaOptionSpecs));
  return Object.fromEntries(Object.entries(o).filter(([key]) => !kafkaKeys.has(key))) as Omit<
    T,
    KafkaOptionKey
  >;
}

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  /** CA, client certificate and key when given; `ssl` is then true. Server names are always checked. */
  readonly tls?: KafkaTls;
  readonly sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
}

/**
 * Applies the cross-field rules: SASL needs both credentials; TLS follows SASL and the TLS material unless
 * set (and KAFKA_SSL=false with TLS material is refused, see {@link toKafkaTls}).
 */
export function toKafkaConnection(
  c: {
    brokers: readonly string[];
    clientId: string;
    saslMechanism: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
    saslUsername: string | undefined;
    saslPassword: string | undefined;
    ssl: boolean | 'auto';
  } & Omit<KafkaTlsInput, 'ssl'>,
  problems: string[],
): KafkaConnection {
  const tls = toKafkaTls(c, problems);
  const base = { brokers: c.brokers, clientId: c.clientId, ...(tls ? { tls } : {}) };
  const tlsWanted = c.ssl === true || (c.ssl === 'auto' && tls !== undefined);
  if (c.saslMechanism === 'none') return { ...base, ssl: tlsWanted };
  if (!c.saslUsername || !c.saslPassword) {
    problems.push(
      `KAFKA_SASL_MECHANISM=${c.saslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
    return { ...base, ssl: tlsWanted };
  }
  return {
    ...base,
    ssl: c.ssl !== false,
    sasl: { mechanism: c.saslMechanism, username: c.saslUsername, password: c.saslPassword },
  };
}

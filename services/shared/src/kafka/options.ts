import { z } from 'zod';
import { opt, type OptionSpec } from '../config';

/** Connection options shared by every Kafka client of the project (local broker, Redpanda, Upstash). */
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
    help: 'SASL mechanism: none, plain, scram-sha-256 or scram-sha-512 (Upstash uses scram-sha-256).',
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
    help: 'Use TLS to the brokers. Defaults to true when a SASL mechanism is set.',
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
} satisfies Record<string, OptionSpec>;

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
}

/** Applies the cross-field rules (SASL needs both credentials; TLS follows SASL unless set). */
export function toKafkaConnection(
  c: {
    brokers: readonly string[];
    clientId: string;
    saslMechanism: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
    saslUsername: string | undefined;
    saslPassword: string | undefined;
    ssl: boolean | 'auto';
  },
  problems: string[],
): KafkaConnection {
  const base = { brokers: c.brokers, clientId: c.clientId };
  if (c.saslMechanism === 'none') return { ...base, ssl: c.ssl === true };
  if (!c.saslUsername || !c.saslPassword) {
    problems.push(
      `KAFKA_SASL_MECHANISM=${c.saslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
    return { ...base, ssl: c.ssl === true };
  }
  return {
    ...base,
    ssl: c.ssl !== false,
    sasl: { mechanism: c.saslMechanism, username: c.saslUsername, password: c.saslPassword },
  };
}

import {
  createConsumerLagReader,
  createKafkaClient,
  pemTextSchema,
  toKafkaConnection,
  type ConsumerLagReader,
  type KafkaConnection,
  type KafkaFatalError,
  type Logger,
} from '@telemetry-pulse/shared';
import type { LagReading } from '../domain/plan';
import type { PipelineSpec } from '../domain/spec';

/** Where a pipeline's Kafka connection values come from (already read out of their Secrets). */
export type SecretValues = (name: string, key: string) => string | undefined;

export interface LagSource {
  /** The group's total lag over the topic's partitions. Rejects when Kafka cannot be asked in time. */
  read(pipelineKey: string, spec: PipelineSpec, secret: SecretValues): Promise<LagReading>;
  /** Closes the pipeline's admin connection (pipeline deleted). */
  forget(pipelineKey: string): Promise<void>;
  close(): Promise<void>;
}

/** PEM text from a Secret key, checked as KAFKA_SSL_CA etc. are; problems name the spec field. */
function pemValue(
  field: string,
  ref: { name: string; key: string } | undefined,
  secret: SecretValues,
  problems: string[],
): string | undefined {
  if (ref === undefined) return undefined;
  const text = secret(ref.name, ref.key);
  if (text === undefined) {
    problems.push(`${field}: secret ${ref.name} has no key ${ref.key}`);
    return undefined;
  }
  const parsed = pemTextSchema(field).safeParse(text);
  if (parsed.success) return parsed.data;
  problems.push(`${field}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return undefined;
}

/** The connection the pipeline's own pods get, built from the same Secret keys. */
export function connectionOf(spec: PipelineSpec, secret: SecretValues, clientId: string): KafkaConnection {
  const k = spec.kafka;
  const value = (ref: { name: string; key: string } | undefined): string | undefined =>
    ref && secret(ref.name, ref.key);
  const brokers = value(k.brokersFrom);
  if (brokers === undefined) throw new Error(`secret ${k.brokersFrom.name} has no key ${k.brokersFrom.key}`);
  const problems: string[] = [];
  const conn = toKafkaConnection(
    {
      brokers: brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId,
      saslMechanism: k.saslMechanism,
      saslUsername: value(k.usernameFrom),
      saslPassword: value(k.passwordFrom),
      ssl: k.tls === 'auto' ? 'auto' : k.tls === 'true',
      // As text here; the pods get the same Secret keys as files (KAFKA_SSL_*_FILE), same checks.
      sslCa: pemValue('kafka.caFrom', k.caFrom, secret, problems),
      sslCert: pemValue('kafka.certFrom', k.certFrom, secret, problems),
      sslKey: pemValue('kafka.keyFrom', k.keyFrom, secret, problems),
    },
    problems,
  );
  if (problems.length > 0) throw new Error(problems.join('; '));
  return conn;
}

/**
 * Consumer lag as the processors' own gauge computes it (shared `consumerLag`: committed offsets against
 * watermarks), one admin connection per pipeline, rebuilt when its connection settings change. A topic
 * that does not exist yet has no lag. Every read is bounded by `timeoutMs`: an unreachable broker must
 * not stall reconciles.
 */
export function createLagSource(opts: { logger: Logger; timeoutMs: number }): LagSource {
  type Reader = { fingerprint: string; reader: ConsumerLagReader; fatal: Promise<never> };
  const readers = new Map<string, Reader>();
  const log = opts.logger.child({ component: 'lag-source' });

  function readerFor(key: string, conn: KafkaConnection): Reader {
    const fingerprint = JSON.stringify(conn);
    const known = readers.get(key);
    if (known?.fingerprint === fingerprint) return known;
    if (known) void known.reader.close();
    // Bad credentials or certificates fail the read at once with the cause (which lands in the
    // pipeline's status), instead of after kafkajs' retries and the read timeout.
    let onFatal: (err: KafkaFatalError) => void = () => undefined;
    const fatal = new Promise<never>((_, reject) => {
      onFatal = reject;
    });
    fatal.catch(() => undefined);
    const client = createKafkaClient(conn, log, { onFatal: (err) => onFatal(err) });
    const entry = { fingerprint, reader: createConsumerLagReader(client, log), fatal };
    readers.set(key, entry);
    return entry;
  }
  async function forget(key: string): Promise<void> {
    const known = readers.get(key);
    readers.delete(key);
    await known?.reader.close();
  }

  return {
    async read(key, spec, secret) {
      const { reader, fatal } = readerFor(key, connectionOf(spec, secret, 'telemetry-pulse-operator'));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from Kafka within ${opts.timeoutMs} ms`)),
          opts.timeoutMs,
        );
      });
      try {
        const partitions = await Promise.race([
          reader.read(spec.processor.groupId, spec.topic.name),
          timeout,
          fatal,
        ]);
        // A topic not created yet: no lag, and the partitions the spec asks for.
        if (partitions.length === 0) return { totalLag: 0, partitions: spec.topic.partitions };
        return { totalLag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions: partitions.length };
      } catch (err) {
        void forget(key); // a fresh connection next time; never wait on a stuck one
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    forget,
    async close() {
      await Promise.all([...readers.keys()].map(forget));
    },
  };
}

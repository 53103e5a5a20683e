import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { spawnKafkaJvm } from './reliability/kafka';
import { REPO_ROOT, alive, execFileP, freePort, until } from './reliability/process';
import type { TestPki } from './test-pki';

/**
 * A private single-node Kafka (KRaft, the jars scripts/infra.sh fetched) with the listeners managed services
 * and Strimzi use, for the security tests: SASL_SSL with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN; SSL with
 * client authentication required (mTLS); and two SSL listeners with a broken server certificate (expired,
 * wrong name). Every TLS listener's certificate comes from the test CA; Kafka reads them as PEM keystores.
 * A PLAINTEXT listener serves the test's own admin. SCRAM users are created by the broker's own storage tool
 * when it formats the log directory.
 */

const KAFKA_VERSION = process.env.KAFKA_VERSION ?? '4.1.1';
const START_TIMEOUT_MS = 120_000;

export const SASL_USER = 'telemetry';
export const SASL_PASSWORD = 'telemetry-secret';

export interface SecureKafka {
  /** PLAINTEXT, for the test's admin and checks. */
  readonly plaintext: string;
  /** SASL_SSL: SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, server certificate from the test CA. */
  readonly saslSsl: string;
  /** SSL with ssl.client.auth=required, trusting client certificates of the test CA. */
  readonly mtls: string;
  /** SSL whose server certificate expired. */
  readonly expiredServer: string;
  /** SSL whose server certificate names wrong.example.test only. */
  readonly wrongName: string;
  readonly dir: string;
  admin(): Kafka;
  stop(): Promise<void>;
}

function kafkaLibs(): string {
  const libs = path.join(REPO_ROOT, '.local', 'kafka', KAFKA_VERSION, 'libs');
  if (!existsSync(path.join(libs, '.complete'))) {
    throw new Error(`no Kafka ${KAFKA_VERSION} jars in ${libs}: run scripts/infra.sh fetch (or up) once`);
  }
  return libs;
}

/** A PEM keystore file as Kafka reads it: the private key, then the certificate chain. */
function keystore(dir: string, name: string, pem: { crt: string; key: string }): string {
  const file = path.join(dir, `${name}.keystore.pem`);
  writeFileSync(file, readFileSync(pem.key, 'utf8') + readFileSync(pem.crt, 'utf8'));
  return file;
}

/** Formats and starts the broker under `dir`; resolves once its PLAINTEXT listener answers. */
export async function startSecureKafka(dir: string, pki: TestPki): Promise<SecureKafka> {
  const libs = kafkaLibs();
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const ports = {
    plain: await freePort(),
    sasl: await freePort(),
    mtls: await freePort(),
    expired: await freePort(),
    wrong: await freePort(),
    controller: await freePort(),
  };
  const host = '127.0.0.1';
  const listeners = [
    `INTERNAL://${host}:${ports.plain}`,
    `SASL://${host}:${ports.sasl}`,
    `MTLS://${host}:${ports.mtls}`,
    `EXPIRED://${host}:${ports.expired}`,
    `WRONGNAME://${host}:${ports.wrong}`,
  ];
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      '# Written by test/support/secure-kafka.ts for one security test run.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${host}:${ports.controller}`,
      'controller.listener.names=CONTROLLER',
      `listeners=${listeners.join(',')},CONTROLLER://${host}:${ports.controller}`,
      `advertised.listeners=${listeners.join(',')}`,
      'inter.broker.listener.name=INTERNAL',
      'listener.security.protocol.map=INTERNAL:PLAINTEXT,SASL:SASL_SSL,MTLS:SSL,EXPIRED:SSL,WRONGNAME:SSL,CONTROLLER:PLAINTEXT',
      // SASL_SSL, as Aiven, Confluent Cloud and Redpanda Cloud serve it.
      'listener.name.sasl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      `listener.name.sasl.scram-sha-256.sasl.jaas.config=${scram}`,
      `listener.name.sasl.scram-sha-512.sasl.jaas.config=${scram}`,
      `listener.name.sasl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USER}="${SASL_PASSWORD}";`,
      // Every TLS listener: PEM keystore (key + chain) and the test CA as truststore.
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystore(dir, 'server', pki.server)}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${pki.ca.crt}`,
      // mTLS, as Strimzi's `tls` listener with `authentication: tls`.
      'listener.name.mtls.ssl.client.auth=required',
      `listener.name.expired.ssl.keystore.type=PEM`,
      `listener.name.expired.ssl.keystore.location=${keystore(dir, 'server-expired', pki.serverExpired)}`,
      `listener.name.wrongname.ssl.keystore.type=PEM`,
      `listener.name.wrongname.ssl.keystore.location=${keystore(dir, 'server-wrong-name', pki.serverWrongName)}`,
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=3',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=3',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const java = (args: string[]) => execFileP('java', ['-cp', `${libs}/*`, ...args], { maxBuffer: 1 << 24 });
  const { stdout: uuidOut } = await java(['kafka.tools.StorageTool', 'random-uuid']);
  const clusterId = uuidOut.trim().split('\n').pop() ?? '';
  const user = `[name=${SASL_USER},password=${SASL_PASSWORD}]`;
  await java([
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    props,
    '--add-scram',
    `SCRAM-SHA-256=${user}`,
    '--add-scram',
    `SCRAM-SHA-512=${user}`,
  ]);

  const pid = spawnKafkaJvm({ libs, props, dir, jvmArgs: ['-Xms256m', '-Xmx512m'] });
  writeFileSync(path.join(dir, 'kafka.pid'), String(pid));
  const admin = () =>
    new Kafka({
      clientId: 'security-test',
      brokers: [`${host}:${ports.plain}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
      connectionTimeout: 2_000,
      requestTimeout: 10_000,
    });
  const stop = async (): Promise<void> => {
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGKILL');
      await until('the private broker did not exit', async () => !alive(pid), 10_000);
    }
  };
  try {
    await until(
      `private secure Kafka (see ${dir}/logs) did not answer`,
      async () => {
        const a = admin().admin();
        try {
          await a.connect();
          return (await a.describeCluster()).brokers.length === 1;
        } finally {
          await a.disconnect().catch(() => undefined);
        }
      },
      START_TIMEOUT_MS,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    plaintext: `${host}:${ports.plain}`,
    saslSsl: `${host}:${ports.sasl}`,
    mtls: `${host}:${ports.mtls}`,
    expiredServer: `${host}:${ports.expired}`,
    wrongName: `${host}:${ports.wrong}`,
    dir,
    admin,
    stop,
  };
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  kafkaOptionSpecs,
  omitKafkaOptions,
  parseOptions,
  toKafkaConnection,
  type KafkaConnection,
} from '@telemetry-pulse/shared';
import { ENCRYPTED_KEY_PASSWORD, makeTestPki, type TestPki } from '../../support/test-pki';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki(mkdtempSync(path.join(tmpdir(), 'tp-tls-options-')));
});
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

/** Parses the Kafka options from `env` and applies the cross-field rules, as every service does. */
function connect(env: Record<string, string>): KafkaConnection {
  const parsed = parseOptions(kafkaOptionSpecs, [], env);
  if (parsed.help) throw new Error('unexpected help');
  const problems: string[] = [];
  const conn = toKafkaConnection(parsed.config, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return conn;
}

function problemsOf(env: Record<string, string>): string {
  try {
    connect(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('Kafka TLS options', () => {
  it('takes the CA, certificate and key as PEM text and turns TLS on', () => {
    const conn = connect({
      KAFKA_SSL_CA: pki.ca.crtPem,
      KAFKA_SSL_CERT: pki.client.crtPem,
      KAFKA_SSL_KEY: pki.client.keyPem,
    });
    expect(conn.ssl).toBe(true);
    expect(conn.tls).toEqual({ ca: pki.ca.crtPem, cert: pki.client.crtPem, key: pki.client.keyPem });
  });

  it('takes them as files (mounted Secrets), with the same result', () => {
    const conn = connect({
      KAFKA_SSL_CA_FILE: pki.ca.crt,
      KAFKA_SSL_CERT_FILE: pki.client.crt,
      KAFKA_SSL_KEY_FILE: pki.client.key,
    });
    expect(conn).toEqual(
      connect({
        KAFKA_SSL_CA: pki.ca.crtPem,
        KAFKA_SSL_CERT: pki.client.crtPem,
        KAFKA_SSL_KEY: pki.client.keyPem,
      }),
    );
  });

  it('reads PEM written on one line with literal \\n (as some secret stores keep it)', () => {
    const oneLine = pki.ca.crtPem.trim().replace(/\n/g, '\\n');
    expect(connect({ KAFKA_SSL_CA: oneLine }).tls?.ca).toBe(pki.ca.crtPem);
  });

  it('a CA alone means TLS with that CA; SASL with it keeps TLS on', () => {
    expect(connect({ KAFKA_SSL_CA: pki.ca.crtPem })).toMatchObject({ ssl: true, tls: { ca: pki.ca.crtPem } });
    const sasl = connect({
      KAFKA_SSL_CA_FILE: pki.ca.crt,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(sasl).toMatchObject({ ssl: true, sasl: { mechanism: 'scram-sha-512' } });
    expect(connect({})).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'telemetry-pulse', ssl: false });
  });

  it('decrypts an encrypted key with KAFKA_SSL_KEY_PASSWORD', () => {
    const conn = connect({
      KAFKA_SSL_CERT: pki.client.crtPem,
      KAFKA_SSL_KEY: pki.clientKeyEncrypted,
      KAFKA_SSL_KEY_PASSWORD: ENCRYPTED_KEY_PASSWORD,
    });
    expect(conn.tls).toMatchObject({ passphrase: ENCRYPTED_KEY_PASSWORD });
    expect(problemsOf({ KAFKA_SSL_CERT: pki.client.crtPem, KAFKA_SSL_KEY: pki.clientKeyEncrypted })).toMatch(
      /KAFKA_SSL_KEY: the key is encrypted; set KAFKA_SSL_KEY_PASSWORD/,
    );
    expect(
      problemsOf({
        KAFKA_SSL_CERT: pki.client.crtPem,
        KAFKA_SSL_KEY: pki.clientKeyEncrypted,
        KAFKA_SSL_KEY_PASSWORD: 'wrong',
      }),
    ).toMatch(/KAFKA_SSL_KEY: cannot decrypt the key with KAFKA_SSL_KEY_PASSWORD/);
  });

  it.each([
    [{ KAFKA_SSL_CA: 'x', KAFKA_SSL_CA_FILE: 'y' }, /KAFKA_SSL_CA: must be PEM text/],
    [{ KAFKA_SSL_CA: '/etc/ssl/ca.pem' }, /KAFKA_SSL_CA: must be PEM text .*use KAFKA_SSL_CA_FILE/],
    [
      { KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' },
      /KAFKA_SSL_CA_FILE: cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
    ],
  ])('refuses bad material naming the variable: %j', (env, message) => {
    expect(() => parseOptions(kafkaOptionSpecs, [], env)).toThrow(message);
  });

  it('applies the cross-field rules, naming the variables', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { KAFKA_SSL_CA: pki.ca.crtPem, KAFKA_SSL_CA_FILE: pki.ca.crt },
        /KAFKA_SSL_CA and KAFKA_SSL_CA_FILE are both set/,
      ],
      [{ KAFKA_SSL_CERT: pki.client.crtPem }, /KAFKA_SSL_CERT needs KAFKA_SSL_KEY or KAFKA_SSL_KEY_FILE/],
      [
        { KAFKA_SSL_KEY_FILE: pki.client.key },
        /KAFKA_SSL_KEY_FILE needs KAFKA_SSL_CERT or KAFKA_SSL_CERT_FILE/,
      ],
      [{ KAFKA_SSL: 'false', KAFKA_SSL_CA: pki.ca.crtPem }, /KAFKA_SSL=false contradicts KAFKA_SSL_CA/],
      [{ KAFKA_SSL_CERT: pki.client.crtPem, KAFKA_SSL_KEY: pki.server.keyPem }, /do not belong together/],
      [{ KAFKA_SSL_CA: pki.client.keyPem }, /KAFKA_SSL_CA: holds a PRIVATE KEY block/],
      [
        { KAFKA_SSL_CA: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----' },
        /KAFKA_SSL_CA: not a readable certificate/,
      ],
      [{ KAFKA_SSL_KEY_PASSWORD: 'x' }, /KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY/],
    ];
    for (const [env, message] of cases) expect(problemsOf(env)).toMatch(message);
  });

  it('a cert/key problem never prints the key', () => {
    const problems = problemsOf({
      KAFKA_SSL_CERT: pki.client.crtPem,
      KAFKA_SSL_KEY: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----',
    });
    expect(problems).toMatch(/KAFKA_SSL_KEY: not a readable private key/);
    expect(problems).not.toMatch(/c2VjcmV0/);
  });

  it('leaves no Kafka option behind once the connection is built', () => {
    const parsed = parseOptions(kafkaOptionSpecs, [], { KAFKA_SSL_KEY: pki.client.keyPem });
    if (parsed.help) throw new Error('unexpected help');
    expect(omitKafkaOptions(parsed.config)).toEqual({});
  });

  it('writes PEM with a file path mistake in the message, not the file content', () => {
    const file = path.join(pki.dir, 'not-pem.txt');
    writeFileSync(file, 'hello');
    expect(() => parseOptions(kafkaOptionSpecs, [], { KAFKA_SSL_CERT_FILE: file })).toThrow(
      /KAFKA_SSL_CERT_FILE: .*not-pem.txt holds no PEM block/,
    );
  });
});

import { classifyKafkaError, KafkaFatalError } from '@telemetry-pulse/shared';

/** What kafkajs and Node hand us, reduced to the fields the classification reads. */
const tlsError = (code: string, message = code) => Object.assign(new Error(message), { code });
const kafkajsWrapped = (cause: Error) =>
  Object.assign(new Error(`Connection error: ${cause.message}`), {
    name: 'KafkaJSConnectionError',
    retriable: true,
    code: (cause as { code?: string }).code,
  });

describe('classifyKafkaError', () => {
  it.each([
    [tlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'tls-unknown-ca'],
    [tlsError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'tls-unknown-ca'],
    [
      tlsError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'),
      'tls-unknown-ca',
    ],
    [tlsError('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls-unknown-ca'],
    [tlsError('CERT_HAS_EXPIRED', 'certificate has expired'), 'tls-certificate-expired'],
    [
      tlsError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      'tls-hostname-mismatch',
    ],
    [tlsError('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'), 'tls-client-certificate-rejected'],
    [tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'tls-client-certificate-rejected'],
    [tlsError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), 'tls-client-certificate-rejected'],
    [tlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'tls-client-certificate-rejected'],
    [tlsError('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls-not-spoken'],
    [
      Object.assign(
        new Error(
          'SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
        ),
        { name: 'KafkaJSSASLAuthenticationError' },
      ),
      'sasl-authentication',
    ],
    [
      { message: 'SASL PLAIN authentication failed: Authentication failed: Invalid username or password' },
      'sasl-authentication',
    ],
    [
      {
        message: 'Response SaslAuthenticate(key: 36, version: 1)',
        cause: { message: 'Authentication failed during authentication due to invalid credentials' },
      },
      'sasl-authentication',
    ],
  ])('%s is fatal (%s)', (err, kind) => {
    expect(classifyKafkaError(err)?.kind).toBe(kind);
  });

  it('looks through kafkajs wrappers and causes', () => {
    expect(classifyKafkaError(kafkajsWrapped(tlsError('CERT_HAS_EXPIRED')))?.kind).toBe(
      'tls-certificate-expired',
    );
    const wrapped = new Error('outer', { cause: tlsError('ERR_TLS_CERT_ALTNAME_INVALID') });
    expect(classifyKafkaError(wrapped)?.kind).toBe('tls-hostname-mismatch');
    const original = Object.assign(new Error('retries exhausted'), {
      originalError: tlsError('SELF_SIGNED_CERT_IN_CHAIN'),
    });
    expect(classifyKafkaError(original)?.kind).toBe('tls-unknown-ca');
  });

  it.each([
    tlsError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9092'),
    tlsError('ECONNRESET'),
    tlsError('ETIMEDOUT'),
    Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    }),
    Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' }),
    'a string',
    undefined,
    null,
  ])('%s is worth retrying (not fatal)', (err) => {
    expect(classifyKafkaError(err)).toBeUndefined();
  });

  it('survives a cause cycle', () => {
    const a: { message: string; cause?: unknown } = { message: 'a' };
    a.cause = { message: 'b', cause: a };
    expect(classifyKafkaError(a)).toBeUndefined();
  });

  it('the fatal error is one line naming the broker and the cause, and not retriable', () => {
    const reason = classifyKafkaError(tlsError('CERT_HAS_EXPIRED'));
    if (!reason) throw new Error('expected a cause');
    const err = new KafkaFatalError('broker-1.example:9093', reason);
    expect(err.message).toBe(
      "kafka broker-1.example:9093: TLS: the broker's certificate has expired (CERT_HAS_EXPIRED)",
    );
    expect(err.message).not.toContain('\n');
    expect(err.retriable).toBe(false);
  });
});

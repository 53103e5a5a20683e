/**
 * Connection failures that no retry can cure: wrong credentials, a certificate nobody trusts, a name that
 * does not match, a client certificate the broker refuses. kafkajs retries them like a network blip (for
 * a minute and more, then again on every reconnect); the services instead stop with one line that names
 * the broker and the cause. Pure: looks only at the error's name, code and message (and its causes).
 */

export type KafkaFatalKind =
  | 'sasl-authentication'
  | 'tls-unknown-ca'
  | 'tls-certificate-expired'
  | 'tls-hostname-mismatch'
  | 'tls-client-certificate-rejected'
  | 'tls-not-spoken';

export interface KafkaFatalCause {
  readonly kind: KafkaFatalKind;
  /** What went wrong and what to check, for people. */
  readonly cause: string;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** TLS alerts the broker sends when it refuses our certificate (OpenSSL names them ERR_SSL_*_ALERT_*). */
const CLIENT_CERT_ALERT =
  /ALERT_(BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_REQUIRED|UNKNOWN_CA|ACCESS_DENIED|UNSUPPORTED_CERTIFICATE)$/;

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

/** The error and the errors it wraps (`cause`, kafkajs' `originalError`), outermost first, at most 8. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && out.length < 8 && !out.includes(e as ErrorLike)) {
    const like = e as ErrorLike;
    out.push(like);
    e = like.cause ?? like.originalError;
  }
  return out;
}

function classifyOne(e: ErrorLike): KafkaFatalCause | undefined {
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const name = typeof e.name === 'string' ? e.name : '';
  // kafkajs logs the broker's SaslAuthenticate error response before it throws its own error.
  const sasl = /^SASL .*(authentication failed|not supported)|^Response Sasl(Authenticate|Handshake)\b/i;
  if (name === 'KafkaJSSASLAuthenticationError' || sasl.test(message)) {
    const said = (e.cause as ErrorLike | undefined)?.message;
    const detail = message.startsWith('Response ') && typeof said === 'string' ? said : message || name;
    return {
      kind: 'sasl-authentication',
      cause: `SASL authentication failed: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (${detail})`,
    };
  }
  if (
    UNKNOWN_CA.has(code) ||
    /unable to get local issuer certificate|self[- ]signed certificate/i.test(message)
  ) {
    return {
      kind: 'tls-unknown-ca',
      cause: `TLS: the broker's certificate is not signed by a trusted CA: set KAFKA_SSL_CA or KAFKA_SSL_CA_FILE to the CA that signed it (${code || message})`,
    };
  }
  if (EXPIRED.has(code)) {
    return {
      kind: 'tls-certificate-expired',
      cause: `TLS: the broker's certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'} (${code})`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      kind: 'tls-hostname-mismatch',
      cause: `TLS: the broker's certificate does not name the host connected to; use the host name in its certificate in KAFKA_BROKERS (${message})`,
    };
  }
  const alert = CLIENT_CERT_ALERT.exec(code);
  if (
    alert ||
    /alert (bad certificate|certificate (unknown|expired|revoked|required)|unknown ca)/i.test(message)
  ) {
    const what = (alert?.[1] ?? message).toLowerCase().replace(/_/g, ' ');
    return {
      kind: 'tls-client-certificate-rejected',
      cause: `TLS: the broker refused our client certificate (${what}): check KAFKA_SSL_CERT / KAFKA_SSL_KEY and their expiry (${code || message})`,
    };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return {
      kind: 'tls-not-spoken',
      cause: `TLS: the broker does not speak TLS on this port; check the port or set KAFKA_SSL=false (${code})`,
    };
  }
  return undefined;
}

/** Why `err` will never go away by retrying, or undefined for errors worth retrying (or not ours to judge). */
export function classifyKafkaError(err: unknown): KafkaFatalCause | undefined {
  for (const e of chain(err)) {
    const found = classifyOne(e);
    if (found) return found;
  }
  return undefined;
}

/** A fatal connection failure: `kafka <broker>: <cause>`. */
export class KafkaFatalError extends Error {
  readonly code = 'KAFKA_FATAL';
  readonly retriable = false;
  constructor(
    readonly broker: string,
    readonly reason: KafkaFatalCause,
    options?: { cause?: unknown },
  ) {
    super(`kafka ${broker}: ${reason.cause}`, options);
    this.name = 'KafkaFatalError';
  }
}

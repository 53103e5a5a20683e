import { rootCertificates } from 'node:tls';
import { createTransport } from 'nodemailer';

/**
 * E-mail over SMTP (issue 21, item 2c): one connection per message, TLS by STARTTLS (refused when the
 * server does not offer it), implicit TLS (SMTPS, port 465) or none, AUTH PLAIN/LOGIN when a username is
 * set. Failures come back as {@link SmtpError}, telling the caller whether sending again can help.
 */

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly tls: 'starttls' | 'implicit' | 'none'; // starttls: refuse to send if the server does not offer STARTTLS
  readonly username?: string;
  readonly password?: string;
  readonly ca?: string; // PEM to trust in addition to the system's (tests: the test PKI's CA)
  readonly clientName?: string; // EHLO name
  readonly timeoutMs: number;
}

export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly headers?: Readonly<Record<string, string>>; // e.g. Idempotency-Key / X-TelemetryPulse-Alert
  readonly messageId?: string; // stable per notification so receivers can deduplicate
}

/**
 * A message that was not sent. `permanent`: sending the same message with the same settings will fail
 * again (5xx, authentication refused, STARTTLS required but missing, a certificate not trusted, a bad
 * message); otherwise transient (refused connection, timeout, 4xx): try again later.
 */
export class SmtpError extends Error {
  readonly permanent: boolean;
  /** nodemailer's code (ESOCKET, ETIMEDOUT, EAUTH, ETLS, EENVELOPE…), when it gave one. */
  readonly code: string | undefined;
  /** The server's reply code (e.g. 451, 535), when the server answered. */
  readonly responseCode: number | undefined;

  constructor(
    message: string,
    opts: { code?: string; responseCode?: number; originalCode?: string; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'SmtpError';
    this.code = opts.code;
    this.responseCode = opts.responseCode;
    this.permanent = isPermanentSmtpFailure(opts);
  }
}

// Failures of the message or the settings, not of the moment: no reply code needed to know they recur.
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ECONFIG', 'EREQUIRETLS']);
// Node's codes for a server certificate that does not verify (untrusted, expired, wrong name, self-signed).
const CERTIFICATE_FAILURE = /CERT|UNABLE_TO_VERIFY|SELF_SIGNED|ALTNAME/;

/**
 * Whether a failure recurs. TLS that was asked for and could not be had is permanent whatever the server
 * replied (ETLS: STARTTLS required but not offered or refused, even with aiosmtpd's 454; a handshake that
 * failed), as is a certificate that does not verify: a person must change the settings or the server,
 * and a downgrade is not retried quietly. Otherwise the reply code decides when there is one (5xx
 * permanent, 4xx transient). Without one, failures of the settings or the message (authentication, an
 * envelope without recipients) are permanent; the network's (refused, timed out, reset, DNS) and anything
 * unknown are transient, so a notification is retried, not lost.
 */
export function isPermanentSmtpFailure(f: {
  code?: string;
  responseCode?: number;
  originalCode?: string;
}): boolean {
  if (f.code === 'ETLS') return true;
  if (f.originalCode !== undefined && CERTIFICATE_FAILURE.test(f.originalCode)) return true;
  if (f.responseCode !== undefined && f.responseCode >= 400 && f.responseCode < 600) {
    return f.responseCode >= 500;
  }
  return f.code !== undefined && PERMANENT_CODES.has(f.code);
}

function smtpError(err: unknown): SmtpError {
  const e = (err ?? {}) as {
    message?: unknown;
    code?: unknown;
    responseCode?: unknown;
    originalCode?: unknown;
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return new SmtpError(str(e.message) ?? String(err), {
    code: str(e.code),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    originalCode: str(e.originalCode),
    cause: err,
  });
}

const address = (a: unknown): string =>
  typeof a === 'string' ? a : String((a as { address?: unknown }).address ?? '');

/**
 * Sends one message. Resolves once the server accepted it for at least one recipient (`rejected`
 * lists those it refused); rejects with {@link SmtpError} otherwise. The Message-ID is `messageId` when
 * given, so a retried notification carries the same one.
 */
export async function sendMail(
  settings: SmtpSettings,
  message: MailMessage,
): Promise<{ messageId: string; accepted: string[]; rejected: string[] }> {
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    name: settings.clientName,
    auth:
      settings.username === undefined
        ? undefined
        : { user: settings.username, pass: settings.password ?? '' },
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
    tls: {
      minVersion: 'TLSv1.2',
      // `ca` replaces Node's trust store: keep the system's roots and add ours.
      ...(settings.ca === undefined ? {} : { ca: [...rootCertificates, settings.ca] }),
    },
  });
  try {
    const info = await transport.sendMail({
      from: message.from,
      to: [...message.to],
      subject: message.subject,
      text: message.text,
      headers: message.headers ? { ...message.headers } : undefined,
      messageId: message.messageId,
    });
    return {
      messageId: info.messageId,
      accepted: info.accepted.map(address),
      rejected: info.rejected.map(address),
    };
  } catch (err) {
    throw smtpError(err);
  } finally {
    transport.close();
  }
}

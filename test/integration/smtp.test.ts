import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  SmtpError,
  sendMail,
  type MailMessage,
  type SmtpSettings,
} from '../../services/processor/src/adapters/notifications/smtp';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server';
import { makeTestPki, type TestPki } from '../support/test-pki';

const USER = 'alerts';
const PASSWORD = 'correct horse battery staple';

const message: MailMessage = {
  from: 'TelemetryPulse <alerts@telemetry-pulse.test>',
  to: ['ops@example.test'],
  subject: 'CRITICAL co2-high on dev-7 (site-a/zone-3)',
  text: 'CO2 at 2150 ppm since 09:20 UTC.\n',
  headers: { 'Idempotency-Key': 'alert-42-opened', 'X-TelemetryPulse-Alert': '42' },
  messageId: '<alert-42.opened@telemetry-pulse.test>',
};

/** The error `promise` rejects with, which must be an SmtpError. */
async function failure(promise: Promise<unknown>): Promise<SmtpError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SmtpError)) throw new Error(`expected an SmtpError, got ${String(err)}`);
  return err;
}

/**
 * The SMTP sender (issue 21, item 2c) against a real SMTP server (Python's aiosmtpd, test/support/smtp-server.py)
 * with the test PKI's certificate: STARTTLS with AUTH, implicit TLS, and each way sending fails, classified as
 * the notification outbox needs it: permanent (do not retry) or transient (retry later).
 */
describe('SMTP sender (real aiosmtpd server)', () => {
  let pki: TestPki;
  let dir: string;
  const servers: TestSmtpServer[] = [];

  const start = async (opts: Parameters<typeof startSmtpServer>[0]) => {
    const server = await startSmtpServer(opts);
    servers.push(server);
    return server;
  };
  const settings = (port: number, extra: Partial<SmtpSettings> = {}): SmtpSettings => ({
    host: '127.0.0.1',
    port,
    tls: 'starttls',
    username: USER,
    password: PASSWORD,
    ca: pki.ca.crtPem,
    clientName: 'processor.telemetry-pulse.test',
    timeoutMs: 10_000,
    ...extra,
  });

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tp-smtp-pki-'));
    pki = makeTestPki(dir);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a server offering STARTTLS and requiring AUTH', () => {
    let server: TestSmtpServer;

    beforeAll(async () => {
      server = await start({
        tls: 'starttls',
        cert: pki.server.crt,
        key: pki.server.key,
        auth: `${USER}:${PASSWORD}`,
        defer: ['later@example.test'],
        reject: ['nobody@example.test'],
      });
    }, 60_000);

    it('delivers over STARTTLS after AUTH, with the headers and the Message-ID intact', async () => {
      const before = server.messages().length;
      const sent = await sendMail(settings(server.port), message);
      expect(sent).toEqual({
        messageId: '<alert-42.opened@telemetry-pulse.test>',
        accepted: ['ops@example.test'],
        rejected: [],
      });
      const received = server.messages().slice(before);
      expect(received).toHaveLength(1);
      const [mail] = received;
      expect(mail).toMatchObject({
        mail_from: 'alerts@telemetry-pulse.test',
        rcpt_tos: ['ops@example.test'],
        tls: true,
        auth: { login: USER },
        ehlo: 'processor.telemetry-pulse.test',
      });
      expect(['PLAIN', 'LOGIN']).toContain(mail?.auth?.mechanism);
      const [head = '', body = ''] = (mail?.data ?? '').split(/\r?\n\r?\n/, 2);
      expect(head).toMatch(/^Message-ID: <alert-42\.opened@telemetry-pulse\.test>$/m);
      expect(head).toMatch(/^Idempotency-Key: alert-42-opened$/m);
      // nodemailer writes header names in its own case (X-Telemetrypulse-Alert); names are case-insensitive.
      expect(head).toMatch(/^X-TelemetryPulse-Alert: 42$/im);
      expect(head).toMatch(/^Subject: CRITICAL co2-high on dev-7 \(site-a\/zone-3\)$/m);
      expect(body.trim()).toBe('CO2 at 2150 ppm since 09:20 UTC.');
      // Every MAIL FROM and AUTH the server saw came inside TLS.
      expect(server.events().every((e) => e.tls)).toBe(true);
    });

    it('refuses a wrong password as permanent, and sends nothing', async () => {
      const before = server.messages().length;
      const err = await failure(sendMail(settings(server.port, { password: 'wrong' }), message));
      expect(err).toMatchObject({ permanent: true, code: 'EAUTH', responseCode: 535 });
      expect(server.messages()).toHaveLength(before);
    });

    it('reports a 451 for the only recipient as transient and a 550 as permanent', async () => {
      const deferred = await failure(
        sendMail(settings(server.port), { ...message, to: ['later@example.test'] }),
      );
      expect(deferred).toMatchObject({ permanent: false, responseCode: 451 });
      const refused = await failure(
        sendMail(settings(server.port), { ...message, to: ['nobody@example.test'] }),
      );
      expect(refused).toMatchObject({ permanent: true, responseCode: 550 });
    });

    it('delivers to the recipients the server takes and lists the one it defers', async () => {
      const sent = await sendMail(settings(server.port), {
        ...message,
        to: ['ops@example.test', 'later@example.test'],
      });
      expect(sent.accepted).toEqual(['ops@example.test']);
      expect(sent.rejected).toEqual(['later@example.test']);
      expect(server.messages().at(-1)?.rcpt_tos).toEqual(['ops@example.test']);
    });

    it('refuses a server certificate it cannot trust as permanent', async () => {
      const err = await failure(sendMail(settings(server.port, { ca: pki.otherCa.crtPem }), message));
      expect(err).toMatchObject({ permanent: true, message: expect.stringMatching(/verify/) as unknown });
    });
  });

  it('refuses to send when STARTTLS is required but not offered: permanent, nothing sent in clear', async () => {
    const plain = await start({ tls: 'none' });
    const err = await failure(sendMail(settings(plain.port), message));
    expect(err).toMatchObject({ permanent: true, code: 'ETLS' });
    expect(plain.messages()).toEqual([]);
    expect(plain.events()).toEqual([]); // no MAIL FROM, no AUTH: not a byte of the message or the password
  }, 60_000);

  it('sends without TLS only when told to (tls: none)', async () => {
    const plain = await start({ tls: 'none' });
    await sendMail(settings(plain.port, { tls: 'none', username: undefined }), message);
    expect(plain.messages().map((m) => m.tls)).toEqual([false]);
  }, 60_000);

  it.each(['PLAIN', 'LOGIN'] as const)(
    'authenticates with AUTH %s when that is all the server offers',
    async (mechanism) => {
      const server = await start({
        tls: 'starttls',
        cert: pki.server.crt,
        key: pki.server.key,
        auth: `${USER}:${PASSWORD}`,
        authOnly: mechanism,
      });
      await sendMail(settings(server.port), message);
      expect(server.messages()).toMatchObject([{ tls: true, auth: { mechanism, login: USER } }]);
    },
    60_000,
  );

  it('delivers over implicit TLS (SMTPS)', async () => {
    const smtps = await start({
      tls: 'implicit',
      cert: pki.server.crt,
      key: pki.server.key,
      auth: `${USER}:${PASSWORD}`,
    });
    await sendMail(settings(smtps.port, { tls: 'implicit' }), message);
    expect(smtps.messages()).toMatchObject([{ tls: true, auth: { login: USER } }]);
  }, 60_000);

  it('reports a server that is down as transient', async () => {
    const port = await freePort();
    const err = await failure(sendMail(settings(port), message));
    expect(err).toMatchObject({
      permanent: false,
      code: 'ESOCKET',
      message: expect.stringMatching(/ECONNREFUSED/) as unknown,
    });
  });

  it('reports a server that never greets as transient (timeout)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    const port = await listen(silent);
    try {
      const started = Date.now();
      const err = await failure(sendMail(settings(port, { timeoutMs: 500 }), message));
      expect(err).toMatchObject({ permanent: false, code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

/** A loopback port nothing listens on (taken and released). */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

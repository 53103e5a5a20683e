import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../support/infra';
import { MIN, co2Sender, keyOf, transitions, writeNotificationsConfig } from '../support/notifications';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server';
import { makeTestPki, type TestPki } from '../support/test-pki';

const USER = 'alerts';
const PASSWORD = 'correct horse battery staple';

/**
 * Issue 21, item 2c: the processor's e-mail channel against a real SMTP server (aiosmtpd with STARTTLS and
 * AUTH, the test PKI's certificate, its CA given by `smtp.ca_file`). Each alert transition is one mail, sent
 * inside TLS, with its idempotency key as a header and a Message-ID derived from it; a channel whose server
 * offers no STARTTLS ends dead without a word sent in clear.
 */
describe('notifications by e-mail (real Kafka, PostgreSQL and SMTP server)', () => {
  let f: ProcessorFixture;
  let pki: TestPki;
  let dir: string;
  let tlsServer: TestSmtpServer;
  let plainServer: TestSmtpServer;
  const base = Math.floor((Date.now() - 2 * 3600_000) / (15 * MIN)) * 15 * MIN;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tp-mail-pki-'));
    pki = makeTestPki(dir);
    tlsServer = await startSmtpServer({
      tls: 'starttls',
      cert: pki.server.crt,
      key: pki.server.key,
      auth: `${USER}:${PASSWORD}`,
    });
    plainServer = await startSmtpServer({ tls: 'none' });
    f = await openProcessorFixture({ prefix: 'mail', partitions: 1 });
  });

  afterAll(async () => {
    await f?.close();
    await tlsServer?.stop();
    await plainServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mails each transition once over STARTTLS with AUTH; a server without STARTTLS gets nothing', async () => {
    const file = await writeNotificationsConfig({
      poll_interval: '200ms',
      channels: [
        {
          name: 'mail',
          type: 'email',
          smtp: {
            host: '127.0.0.1',
            port: tlsServer.port,
            tls: 'starttls',
            username_env: 'SMTP_USER',
            password_env: 'SMTP_PASSWORD',
            ca_file: pki.ca.crt,
          },
          from: 'TelemetryPulse <alerts@telemetry-pulse.test>',
          to: ['facilities@example.test', 'oncall@example.test'],
        },
        {
          name: 'cleartext',
          type: 'email',
          smtp: { host: '127.0.0.1', port: plainServer.port, tls: 'starttls' },
          from: 'alerts@telemetry-pulse.test',
          to: ['ops@example.test'],
          retry: { base: '100ms', max: '200ms', max_attempts: 3 },
        },
      ],
    });
    await f.startProcessor({ NOTIFICATIONS_CONFIG: file, SMTP_USER: USER, SMTP_PASSWORD: PASSWORD });
    const send = co2Sender(f, base);
    // Warning over 1000 ppm held 2 min opens co2-high; back at 850 resolves it.
    await send(0, 8 * MIN, {
      'dev-m': { site: 'site-1', zone: 'zone-1', value: (t) => (t <= 4 * MIN ? 1100 : 850) },
    });
    const made = await waitFor('the opened and resolved transitions', async () => {
      const rows = await transitions(f.pool);
      return rows.some((r) => r.kind === 'resolved') ? rows : undefined;
    });
    expect(made.map((r) => r.kind)).toEqual(['opened', 'resolved']);

    const mails = await waitFor('a mail per transition', async () =>
      tlsServer.messages().length >= made.length ? tlsServer.messages() : undefined,
    );
    expect(mails).toHaveLength(made.length);
    for (const [i, t] of made.entries()) {
      const mail = mails[i];
      const key = keyOf(t, 'mail');
      expect(mail).toMatchObject({
        tls: true,
        auth: { login: USER },
        rcpt_tos: ['facilities@example.test', 'oncall@example.test'],
      });
      expect(mail?.data).toMatch(new RegExp(`^Idempotency-Key: ${key.replace(/\./g, '\\.')}$`, 'im'));
      expect(mail?.data).toMatch(
        new RegExp(`^Message-ID: <${key.replace(/[.@]/g, '\\.')}@telemetry-pulse>$`, 'im'),
      );
      expect(mail?.data).toMatch(
        new RegExp(`^Subject: \\[warning\\] co2-high ${t.kind} \\(warning\\) on dev-m`, 'im'),
      );
    }
    // Every MAIL FROM of the session came after STARTTLS.
    expect(
      tlsServer
        .events()
        .filter((e) => e.kind === 'mail')
        .every((e) => e.tls),
    ).toBe(true);

    const dead = await waitFor('the cleartext channel dead', async () => {
      const { rows } = await f.pool.query<{ status: string; last_error: string }>(
        `SELECT status, last_error FROM notification_deliveries WHERE channel = 'cleartext'`,
      );
      return rows.length === made.length && rows.every((r) => r.status === 'dead') ? rows : undefined;
    });
    expect(dead[0]?.last_error).toMatch(/STARTTLS/i);
    expect(plainServer.messages()).toEqual([]);
    expect(plainServer.events().filter((e) => e.kind === 'mail')).toEqual([]);
  });
});

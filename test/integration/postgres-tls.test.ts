import {
  chownSync,
  copyFileSync,
  chmodSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { createPool, toPgConnection } from '@telemetry-pulse/shared';
import { quietLogger } from '../support/infra';
import { RELIABILITY_DIR } from '../support/private-infra';
import { startPrivatePostgres, type PrivatePostgres } from '../support/reliability/postgres';
import { makeTestPki, type TestPki } from '../support/test-pki';

/**
 * PostgreSQL over TLS through the shared pool (libpq's sslmode semantics, services/shared/src/db/tls.ts),
 * against a private cluster serving TLS with a certificate of the test CA (names 127.0.0.1 and localhost;
 * it also listens on 127.0.0.2, a name its certificate does not have). A role with a SCRAM password may
 * only log in over TLS, for channel binding.
 */

const SCRAM_USER = 'scram_user';
const SCRAM_PASSWORD = 'scram-secret';

let pki: TestPki;
let server: PrivatePostgres;
let runDir: string;

beforeAll(async () => {
  runDir = path.join(RELIABILITY_DIR, `pgtls-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(runDir, { recursive: true });
  pki = makeTestPki(path.join(runDir, 'pki'));
  server = await startPrivatePostgres(runDir, {
    options:
      '-c listen_addresses=127.0.0.1,127.0.0.2 -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key',
    configure: (dataDir) => {
      const { uid, gid } = statSync(dataDir);
      for (const [from, to] of [
        [pki.server.crt, 'server.crt'],
        [pki.server.key, 'server.key'],
      ] as const) {
        const file = path.join(dataDir, to);
        copyFileSync(from, file);
        chmodSync(file, 0o600);
        chownSync(file, uid, gid);
      }
      const hba = path.join(dataDir, 'pg_hba.conf');
      writeFileSync(
        hba,
        [
          `hostssl all ${SCRAM_USER} 127.0.0.1/32 scram-sha-256`,
          `host all ${SCRAM_USER} 127.0.0.1/32 reject`,
          'host all all 127.0.0.2/32 trust',
          readFileSync(hba, 'utf8'),
        ].join('\n'),
      );
    },
  });
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE ${SCRAM_USER} LOGIN PASSWORD '${SCRAM_PASSWORD}'`);
  await admin.end();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (server && server.home !== runDir) rmSync(server.home, { recursive: true, force: true });
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

const url = (query: string, host = '127.0.0.1', user = 'postgres') =>
  `postgres://${user}@${host}:${server.port}/postgres${query}`;

/** Connects through the services' pool; resolves with whether the session is encrypted. */
async function encrypted(u: string, ca: { ca?: string; caFile?: string } = {}): Promise<boolean> {
  const pool = createPool({ url: u, ...ca, max: 1, applicationName: 'tls-test', logger: quietLogger });
  try {
    const { rows } = await pool.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return rows[0]?.ssl ?? false;
  } finally {
    await pool.end();
  }
}

describe('PostgreSQL over TLS (libpq sslmode semantics)', () => {
  it('no sslmode: plain text, as before', async () => {
    expect(await encrypted(url(''))).toBe(false);
  });

  it('sslmode=require: encrypted, the certificate not verified (node-postgres alone would verify it)', async () => {
    expect(await encrypted(url('?sslmode=require'))).toBe(true);
    // The regression this pins: node-postgres 8 on its own reads require as verify-full.
    const raw = new pg.Client({ connectionString: url('?sslmode=require') });
    raw.on('error', () => undefined);
    await expect(raw.connect()).rejects.toThrow(/unable to verify the first certificate|self-signed/);
  });

  it('sslmode=verify-full with the CA as DATABASE_CA, DATABASE_CA_FILE or sslrootcert=', async () => {
    expect(await encrypted(url('?sslmode=verify-full'), { ca: pki.ca.crtPem })).toBe(true);
    expect(await encrypted(url('?sslmode=verify-full'), { caFile: pki.ca.crtPem })).toBe(true);
    expect(await encrypted(url(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(pki.ca.crt)}`))).toBe(
      true,
    );
    // A CA without sslmode means verify-full.
    expect(await encrypted(url(''), { ca: pki.ca.crtPem })).toBe(true);
    expect(await encrypted(url('?sslmode=verify-full', 'localhost'), { ca: pki.ca.crtPem })).toBe(true);
  });

  it('a wrong CA fails with the reason, in verify-full and in require with a CA (libpq: verify-ca)', async () => {
    await expect(encrypted(url('?sslmode=verify-full'), { ca: pki.otherCa.crtPem })).rejects.toThrow(
      /unable to verify the first certificate|self-signed certificate/,
    );
    await expect(encrypted(url('?sslmode=require'), { ca: pki.otherCa.crtPem })).rejects.toThrow(
      /unable to verify the first certificate|self-signed certificate/,
    );
    // Node's roots do not know the test CA either.
    await expect(encrypted(url('?sslmode=verify-full&sslrootcert=system'))).rejects.toThrow(
      /unable to verify the first certificate|self-signed certificate/,
    );
  });

  it('verify-full refuses a host name the certificate does not have; verify-ca checks only the chain', async () => {
    await expect(encrypted(url('?sslmode=verify-full', '127.0.0.2'), { ca: pki.ca.crtPem })).rejects.toThrow(
      /Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.2/,
    );
    expect(await encrypted(url('?sslmode=verify-ca', '127.0.0.2'), { ca: pki.ca.crtPem })).toBe(true);
  });

  it('SCRAM with channel_binding=require logs in with SCRAM-SHA-256-PLUS (bound to the TLS connection)', async () => {
    const scramUrl = url(
      '?sslmode=verify-full&channel_binding=require',
      '127.0.0.1',
      `${SCRAM_USER}:${SCRAM_PASSWORD}`,
    );
    expect(await encrypted(scramUrl, { ca: pki.ca.crtPem })).toBe(true);
    // Which mechanism the client chose: node-postgres falls back to plain SCRAM when PLUS is not offered.
    const config = toPgConnection(scramUrl, { ca: pki.ca.crtPem });
    const client = new pg.Client(config);
    const connection = (client as unknown as { connection: { sendSASLInitialResponseMessage: Send } })
      .connection;
    type Send = (mechanism: string, response: string) => void;
    const send = connection.sendSASLInitialResponseMessage.bind(connection);
    const mechanisms: string[] = [];
    connection.sendSASLInitialResponseMessage = (mechanism, response) => {
      mechanisms.push(mechanism);
      send(mechanism, response);
    };
    await client.connect();
    await client.end();
    expect(mechanisms).toEqual(['SCRAM-SHA-256-PLUS']);
    // And the password is really checked.
    await expect(
      encrypted(url('?sslmode=require&channel_binding=require', '127.0.0.1', `${SCRAM_USER}:wrong`)),
    ).rejects.toThrow(/password authentication failed for user "scram_user"/);
  });

  it.each(['processor', 'api'])(
    'the %s binary stops at start with one line naming the server and the cause (wrong CA)',
    (service) => {
      const main = path.join(__dirname, '..', '..', 'services', service, 'dist', 'main.js');
      const run = (databaseUrl: string) =>
        spawnSync(process.execPath, [main], {
          encoding: 'utf8',
          timeout: 15_000,
          env: {
            PATH: process.env.PATH ?? '',
            DATABASE_URL: databaseUrl,
            DATABASE_CA: pki.otherCa.crtPem,
            KAFKA_BROKERS: '127.0.0.1:1', // never reached: migrations run first
            PROCESSOR_PORT: '0',
            API_PORT: '0',
            API_HOST: '127.0.0.1',
            LOG_LEVEL: 'silent',
          },
        });
      const wrongCa = run(url('?sslmode=verify-full'));
      expect(wrongCa.status).toBe(1);
      expect(wrongCa.stderr.trim()).toBe(
        `fatal: postgres 127.0.0.1:${server.port}: TLS: the server's certificate is not signed by a trusted CA: set DATABASE_CA, DATABASE_CA_FILE or sslrootcert= to the CA that signed it (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
      );
    },
  );
});

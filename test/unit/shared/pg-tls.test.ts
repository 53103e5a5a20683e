import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, describePgTlsError, toPgConnection } from '@telemetry-pulse/shared';

const BASE = 'postgres://u:p@db.example:5432/telemetry';
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function problems(url: string, opts: { ca?: string; caFile?: string } = {}): string {
  try {
    toPgConnection(url, opts);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('toPgConnection (libpq sslmode semantics)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tp-pg-tls-'));
    writeFileSync(path.join(dir, 'root.crt'), CA);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no sslmode and disable: no TLS', () => {
    expect(toPgConnection(BASE)).toMatchObject({
      ssl: false,
      sslmode: 'disable',
      enableChannelBinding: false,
    });
    expect(toPgConnection(`${BASE}?sslmode=disable`).ssl).toBe(false);
  });

  it('require: encrypted, not verified; with a CA it checks the chain (verify-ca), as libpq', () => {
    expect(toPgConnection(`${BASE}?sslmode=require`).ssl).toEqual({ rejectUnauthorized: false });
    expect(toPgConnection(`${BASE}?sslmode=no-verify`).sslmode).toBe('require');
    const withCa = toPgConnection(`${BASE}?sslmode=require`, { ca: CA }).ssl;
    expect(withCa).toMatchObject({ ca: CA, rejectUnauthorized: true });
    expect(withCa && withCa.checkServerIdentity?.('db.example', {} as never)).toBeUndefined();
  });

  it('verify-full checks chain and host name; verify-ca the chain only', () => {
    expect(toPgConnection(`${BASE}?sslmode=verify-full`).ssl).toEqual({ rejectUnauthorized: true });
    const full = toPgConnection(`${BASE}?sslmode=verify-full`, { ca: CA }).ssl;
    expect(full).toEqual({ ca: CA, rejectUnauthorized: true });
    const ca = toPgConnection(`${BASE}?sslmode=verify-ca`, { caFile: CA }).ssl;
    expect(ca).toMatchObject({ ca: CA, rejectUnauthorized: true, checkServerIdentity: expect.any(Function) });
  });

  it('reads sslrootcert= and takes the parameters it interprets out of the URL', () => {
    const root = path.join(dir, 'root.crt');
    const c = toPgConnection(
      `${BASE}?sslmode=verify-full&sslrootcert=${root}&channel_binding=require&application_name=x`,
    );
    expect(c.ssl).toEqual({ ca: CA, rejectUnauthorized: true });
    expect(c.enableChannelBinding).toBe(true);
    expect(c.connectionString).toBe(`${BASE}?application_name=x`);
    // A CA alone means verify-full.
    expect(toPgConnection(BASE, { ca: CA })).toMatchObject({ sslmode: 'verify-full' });
  });

  it.each([
    [`${BASE}?sslmode=prefer`, /sslmode=prefer: node-postgres cannot fall back/],
    [`${BASE}?sslmode=allow`, /sslmode=allow: node-postgres cannot fall back/],
    [`${BASE}?sslmode=verify`, /sslmode=verify: must be disable, require, verify-ca or verify-full/],
    [`${BASE}?sslmode=verify-ca`, /verify-ca needs the CA/],
    [`${BASE}?channel_binding=require`, /channel_binding=require needs TLS/],
    [
      `${BASE}?sslmode=require&channel_binding=maybe`,
      /channel_binding=maybe: must be disable, prefer or require/,
    ],
    [
      `${BASE}?sslmode=verify-full&sslrootcert=/nonexistent.crt`,
      /sslrootcert=\/nonexistent.crt: cannot read \(ENOENT\)/,
    ],
  ])('refuses %s', (url, message) => {
    expect(problems(url)).toMatch(message);
  });

  it('refuses two CAs and a CA with TLS turned off', () => {
    expect(problems(`${BASE}?sslmode=verify-full`, { ca: CA, caFile: CA })).toMatch(
      /DATABASE_CA and DATABASE_CA_FILE are set together; give one CA/,
    );
    expect(problems(`${BASE}?sslmode=disable`, { ca: CA })).toMatch(/DATABASE_CA is set but sslmode=disable/);
  });

  it('names the TLS failures no retry can cure, and only those', () => {
    const e = (code: string, message = code) => Object.assign(new Error(message), { code });
    expect(describePgTlsError(e('SELF_SIGNED_CERT_IN_CHAIN'))).toMatch(
      /not signed by a trusted CA: set DATABASE_CA/,
    );
    expect(describePgTlsError(e('CERT_HAS_EXPIRED'))).toMatch(/has expired/);
    expect(describePgTlsError(e('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match'))).toMatch(
      /does not name the host in DATABASE_URL/,
    );
    expect(describePgTlsError(new Error('The server does not support SSL connections'))).toMatch(/ssl=off/);
    expect(describePgTlsError(e('ECONNREFUSED'))).toBeUndefined();
    expect(describePgTlsError(e('28P01', 'password authentication failed for user "x"'))).toBeUndefined();
    expect(describePgTlsError(undefined)).toBeUndefined();
  });
});

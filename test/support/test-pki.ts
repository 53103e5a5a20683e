import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A throw-away PKI made with the openssl command line, for tests of TLS to Kafka and PostgreSQL: a test CA,
 * an unrelated CA nobody trusts, server certificates (right name, wrong name, expired) and client
 * certificates (good, expired, signed by the unrelated CA, and one with an encrypted key). EC P-256 keys
 * in PKCS#8 PEM, which Node, Java (Kafka's PEM keystores) and PostgreSQL all read.
 */

export interface Pem {
  readonly crt: string;
  readonly key: string;
  /** PEM text of the certificate and key. */
  readonly crtPem: string;
  readonly keyPem: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: Pem;
  readonly otherCa: Pem;
  /** SAN IP:127.0.0.1, DNS:localhost. */
  readonly server: Pem;
  /** SAN DNS:wrong.example.test only. */
  readonly serverWrongName: Pem;
  /** Valid names, expired in 2021. */
  readonly serverExpired: Pem;
  readonly client: Pem;
  readonly clientExpired: Pem;
  /** Signed by `otherCa`. */
  readonly clientOtherCa: Pem;
  /** The client certificate's key, encrypted with {@link ENCRYPTED_KEY_PASSWORD}. */
  readonly clientKeyEncrypted: string;
}

export const ENCRYPTED_KEY_PASSWORD = 'test-key-password';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function pem(dir: string, name: string): Pem {
  const crt = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  return { crt, key, crtPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string, cn: string): void {
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '30',
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
}

/** A certificate for `cn` signed by `ca`; `expired` dates it 2021 (openssl ca, as x509 cannot backdate). */
function makeLeaf(
  dir: string,
  name: string,
  opts: { ca: string; cn: string; san?: string; usage: 'serverAuth' | 'clientAuth'; expired?: boolean },
): void {
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${opts.cn}`], dir);
  const ext = [
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    `extendedKeyUsage=${opts.usage}`,
    ...(opts.san ? [`subjectAltName=${opts.san}`] : []),
  ];
  writeFileSync(path.join(dir, `${name}.ext`), ext.join('\n') + '\n');
  if (!opts.expired) {
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${opts.ca}.crt`,
        '-CAkey',
        `${opts.ca}.key`,
        '-CAcreateserial',
        '-days',
        '30',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ],
      dir,
    );
    return;
  }
  const db = path.join(dir, `${name}-db`);
  mkdirSync(path.join(db, 'new'), { recursive: true });
  writeFileSync(path.join(db, 'index.txt'), '');
  writeFileSync(path.join(db, 'serial'), '1000\n');
  writeFileSync(
    path.join(db, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${db}/index.txt`,
      `new_certs_dir = ${db}/new`,
      `serial = ${db}/serial`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      `${db}/ca.cnf`,
      '-cert',
      `${opts.ca}.crt`,
      '-keyfile',
      `${opts.ca}.key`,
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
      '-startdate',
      '20210101000000Z',
      '-enddate',
      '20210201000000Z',
    ],
    dir,
  );
}

/** Makes the whole PKI in `dir` (about a second of openssl). */
export function makeTestPki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'ca', 'TelemetryPulse Test CA');
  makeCa(dir, 'other-ca', 'Somebody Else CA');
  const local = 'IP:127.0.0.1,DNS:localhost';
  makeLeaf(dir, 'server', { ca: 'ca', cn: 'localhost', san: local, usage: 'serverAuth' });
  makeLeaf(dir, 'server-wrong-name', {
    ca: 'ca',
    cn: 'wrong.example.test',
    san: 'DNS:wrong.example.test',
    usage: 'serverAuth',
  });
  makeLeaf(dir, 'server-expired', {
    ca: 'ca',
    cn: 'localhost',
    san: local,
    usage: 'serverAuth',
    expired: true,
  });
  makeLeaf(dir, 'client', { ca: 'ca', cn: 'telemetry-client', usage: 'clientAuth' });
  makeLeaf(dir, 'client-expired', { ca: 'ca', cn: 'telemetry-client', usage: 'clientAuth', expired: true });
  makeLeaf(dir, 'client-other-ca', { ca: 'other-ca', cn: 'telemetry-client', usage: 'clientAuth' });
  openssl(
    [
      'pkcs8',
      '-topk8',
      '-in',
      'client.key',
      '-out',
      'client-encrypted.key',
      '-v2',
      'aes-256-cbc',
      '-passout',
      `pass:${ENCRYPTED_KEY_PASSWORD}`,
    ],
    dir,
  );
  return {
    dir,
    ca: pem(dir, 'ca'),
    otherCa: pem(dir, 'other-ca'),
    server: pem(dir, 'server'),
    serverWrongName: pem(dir, 'server-wrong-name'),
    serverExpired: pem(dir, 'server-expired'),
    client: pem(dir, 'client'),
    clientExpired: pem(dir, 'client-expired'),
    clientOtherCa: pem(dir, 'client-other-ca'),
    clientKeyEncrypted: readFileSync(path.join(dir, 'client-encrypted.key'), 'utf8'),
  };
}

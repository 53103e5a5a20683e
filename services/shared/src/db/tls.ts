import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../config';

/**
 * libpq's `sslmode` semantics, made explicit. node-postgres 8 (pg-connection-string 2.9+) treats
 * `sslmode=require` and `verify-ca` as `verify-full` unless `uselibpqcompat=true`, and prints a warning;
 * libpq, psql, Neon's and every other provider's instructions mean what libpq does:
 *
 * | sslmode       | TLS | chain checked                  | host name checked |
 * | ------------- | --- | ------------------------------ | ----------------- |
 * | (none), disable | no  |                              |                   |
 * | require       | yes | only when a CA is given (libpq) | no               |
 * | verify-ca     | yes | yes                            | no                |
 * | verify-full   | yes | yes                            | yes               |
 *
 * `prefer` and `allow` are refused: node-postgres cannot fall back from TLS to plain text (or back), so
 * they would silently mean something else. The CA comes from `DATABASE_CA` (PEM text), `DATABASE_CA_FILE`
 * or the URL's `sslrootcert=` (a path; `system` means Node's roots), at most one; a CA without `sslmode`
 * means `verify-full`. `channel_binding=require` (or `prefer`) turns on SCRAM-SHA-256-PLUS, which binds the
 * password exchange to this TLS connection; it needs TLS.
 */

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface PgConnectionConfig {
  /** The URL without the parameters interpreted here (so node-postgres cannot re-read them its way). */
  readonly connectionString: string;
  readonly ssl: false | ConnectionOptions;
  readonly enableChannelBinding: boolean;
  readonly sslmode: SslMode;
}

const OURS = ['sslmode', 'sslrootcert', 'channel_binding', 'uselibpqcompat'];

/** Builds the pg connection settings from DATABASE_URL and the CA options; throws ConfigError listing problems. */
export function toPgConnection(
  url: string,
  opts: { ca?: string | undefined; caFile?: string | undefined } = {},
): PgConnectionConfig {
  const problems: string[] = [];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(['DATABASE_URL: not a URL']);
  }
  const q = u.searchParams;
  const mode = q.get('sslmode') ?? undefined;
  const rootcert = q.get('sslrootcert') ?? undefined;
  const binding = q.get('channel_binding') ?? undefined;

  const sources = [
    opts.ca !== undefined && 'DATABASE_CA',
    opts.caFile !== undefined && 'DATABASE_CA_FILE',
    rootcert !== undefined && 'sslrootcert= in DATABASE_URL',
  ].filter((s): s is string => typeof s === 'string');
  if (sources.length > 1) problems.push(`${sources.join(' and ')} are set together; give one CA`);
  let ca: string | undefined = opts.ca ?? opts.caFile;
  const systemRoots = rootcert === 'system';
  if (rootcert !== undefined && !systemRoots) {
    try {
      ca = readFileSync(rootcert, 'utf8');
    } catch (err) {
      problems.push(
        `DATABASE_URL sslrootcert=${rootcert}: cannot read (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  const caGiven = ca !== undefined || systemRoots;

  let sslmode: SslMode;
  switch (mode) {
    case undefined:
      sslmode = caGiven ? 'verify-full' : 'disable';
      break;
    case 'disable':
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      sslmode = mode;
      break;
    case 'no-verify': // node-postgres' own name for libpq's require
      sslmode = 'require';
      break;
    case 'prefer':
    case 'allow':
      problems.push(
        `DATABASE_URL sslmode=${mode}: node-postgres cannot fall back between TLS and plain text; use sslmode=require (or verify-full) or sslmode=disable`,
      );
      sslmode = 'disable';
      break;
    default:
      problems.push(`DATABASE_URL sslmode=${mode}: must be disable, require, verify-ca or verify-full`);
      sslmode = 'disable';
  }
  if (sslmode === 'disable' && caGiven && mode !== undefined) {
    problems.push(`${sources[0] ?? 'sslrootcert'} is set but sslmode=disable turns TLS off`);
  }
  if (sslmode === 'verify-ca' && !caGiven) {
    // As libpq: checking the chain against a public CA without the host name proves nothing.
    problems.push(
      'DATABASE_URL sslmode=verify-ca needs the CA: DATABASE_CA, DATABASE_CA_FILE or sslrootcert=',
    );
  }
  if (binding !== undefined && !['disable', 'prefer', 'require'].includes(binding)) {
    problems.push(`DATABASE_URL channel_binding=${binding}: must be disable, prefer or require`);
  }
  const enableChannelBinding = binding === 'require' || binding === 'prefer';
  if (binding === 'require' && sslmode === 'disable') {
    problems.push('DATABASE_URL channel_binding=require needs TLS (sslmode=require or verify-full)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  for (const name of OURS) q.delete(name);
  const caOption = ca !== undefined ? { ca } : {};
  const ssl: false | ConnectionOptions =
    sslmode === 'disable'
      ? false
      : sslmode === 'verify-full'
        ? { ...caOption, rejectUnauthorized: true }
        : sslmode === 'verify-ca' || (sslmode === 'require' && ca !== undefined)
          ? { ...caOption, rejectUnauthorized: true, checkServerIdentity: () => undefined }
          : { rejectUnauthorized: false };
  return { connectionString: u.toString(), ssl, enableChannelBinding, sslmode };
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** Why a TLS connection to PostgreSQL can never succeed as configured, for people; undefined otherwise. */
export function describePgTlsError(err: unknown): string | undefined {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (UNTRUSTED.has(code)) {
    return `TLS: the server's certificate is not signed by a trusted CA: set DATABASE_CA, DATABASE_CA_FILE or sslrootcert= to the CA that signed it (${code})`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `TLS: the server's certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'} (${code})`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS: the server's certificate does not name the host in DATABASE_URL; use a name it has, or sslmode=verify-ca (${message})`;
  }
  if (message === 'The server does not support SSL connections') {
    return 'TLS: the server does not offer TLS (ssl=off); set sslmode=disable or turn TLS on at the server';
  }
  return undefined;
}

/** A connection to PostgreSQL that no retry can cure: `postgres <host:port>: <cause>`. */
export class DatabaseTlsError extends Error {
  readonly code = 'DATABASE_TLS';
  constructor(server: string, cause: string, options?: { cause?: unknown }) {
    super(`postgres ${server}: ${cause}`, options);
    this.name = 'DatabaseTlsError';
  }
}

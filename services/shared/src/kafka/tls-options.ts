import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * TLS material for Kafka (a CA bundle, a client certificate and its key), each given either as PEM text in
 * an environment variable (`KAFKA_SSL_CA`, as Aiven's console and Kubernetes `secretKeyRef` env hand it out)
 * or as a file (`KAFKA_SSL_CA_FILE`, as a mounted Secret or Strimzi's `ca.crt` / `user.crt` / `user.key`).
 * The schemas read and shape-check one variable each, so a problem names its variable; {@link toKafkaTls}
 * then applies the cross-field rules and parses the certificates and key for real.
 */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
const MAX_PEM_CHARS = 1_000_000; // a full public CA bundle is ~220 kB

/** PEM text as an environment variable holds it: `\n` written literally (one-line secrets) becomes a newline. */
function normalisePem(text: string): string {
  const unescaped = !text.includes('\n') && text.includes('\\n') ? text.replace(/\\n/g, '\n') : text;
  return unescaped.trim() + '\n';
}

function pemLabels(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => m[1] ?? '');
}

/** PEM text in a variable: must start with -----BEGIN (a path here is a common mistake: use the _FILE variable). */
export const pemTextSchema = (fileVariable: string) =>
  z
    .string()
    .max(MAX_PEM_CHARS)
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const text = normalisePem(s);
      if (!text.startsWith('-----BEGIN ') || pemLabels(text).length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be PEM text starting with -----BEGIN (for a path use ${fileVariable})`,
        });
        return z.NEVER;
      }
      return text;
    });

/** A path to a PEM file, read when the options are parsed so a missing file stops start-up. */
export const pemFileSchema = () =>
  z
    .string()
    .max(4096)
    .optional()
    .transform((p, ctx) => {
      if (p === undefined) return undefined;
      let text: string;
      try {
        text = readFileSync(p, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        ctx.addIssue({ code: 'custom', message: `cannot read ${p} (${code})` });
        return z.NEVER;
      }
      if (pemLabels(text).length === 0) {
        ctx.addIssue({ code: 'custom', message: `${p} holds no PEM block (-----BEGIN ...-----)` });
        return z.NEVER;
      }
      return normalisePem(text);
    });

/** What the option specs hand over (already read and shape-checked). */
export interface KafkaTlsInput {
  readonly ssl: boolean | 'auto';
  readonly sslCa?: string | undefined;
  readonly sslCaFile?: string | undefined;
  readonly sslCert?: string | undefined;
  readonly sslCertFile?: string | undefined;
  readonly sslKey?: string | undefined;
  readonly sslKeyFile?: string | undefined;
  readonly sslKeyPassword?: string | undefined;
}

/** PEM material for the TLS connection; what is absent falls back to Node's defaults (its CA roots, no client cert). */
export interface KafkaTls {
  /** Replaces Node's built-in roots, as `ssl.ca.location` does for librdkafka. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly passphrase?: string;
}

function pick(
  textVar: string,
  text: string | undefined,
  fileVar: string,
  file: string | undefined,
  problems: string[],
): { value: string; source: string } | undefined {
  if (text !== undefined && file !== undefined) {
    problems.push(`${textVar} and ${fileVar} are both set; give one`);
    return undefined;
  }
  if (text !== undefined) return { value: text, source: textVar };
  if (file !== undefined) return { value: file, source: fileVar };
  return undefined;
}

function certificates(pem: { value: string; source: string }, problems: string[]): X509Certificate[] {
  const blocks = [...pem.value.matchAll(PEM_BLOCK)];
  const certs: X509Certificate[] = [];
  for (const block of blocks) {
    if (block[1] !== 'CERTIFICATE') {
      problems.push(`${pem.source}: holds a ${block[1]} block; only CERTIFICATE blocks belong here`);
      continue;
    }
    try {
      certs.push(new X509Certificate(block[0]));
    } catch (err) {
      problems.push(`${pem.source}: not a readable certificate (${(err as Error).message})`);
    }
  }
  return certs;
}

function privateKey(
  pem: { value: string; source: string },
  passphrase: string | undefined,
  problems: string[],
): KeyObject | undefined {
  try {
    return createPrivateKey({ key: pem.value, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const encrypted = /ENCRYPTED/.test(pem.value);
    problems.push(
      encrypted && !passphrase
        ? `${pem.source}: the key is encrypted; set KAFKA_SSL_KEY_PASSWORD`
        : encrypted
          ? `${pem.source}: cannot decrypt the key with KAFKA_SSL_KEY_PASSWORD (${e.code ?? e.message})`
          : `${pem.source}: not a readable private key (${e.code ?? e.message})`,
    );
    return undefined;
  }
}

/**
 * Cross-field rules of the TLS options: text and file of one item are exclusive, a certificate needs its
 * key (and the key its certificate, which it must match), and any of them turns TLS on (or is refused
 * when `KAFKA_SSL=false`). Returns the material, or undefined when none is set.
 */
export function toKafkaTls(c: KafkaTlsInput, problems: string[]): KafkaTls | undefined {
  const before = problems.length;
  const ca = pick('KAFKA_SSL_CA', c.sslCa, 'KAFKA_SSL_CA_FILE', c.sslCaFile, problems);
  const cert = pick('KAFKA_SSL_CERT', c.sslCert, 'KAFKA_SSL_CERT_FILE', c.sslCertFile, problems);
  const key = pick('KAFKA_SSL_KEY', c.sslKey, 'KAFKA_SSL_KEY_FILE', c.sslKeyFile, problems);
  if (!ca && !cert && !key) {
    if (c.sslKeyPassword) problems.push('KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY');
    return undefined;
  }
  if (c.ssl === false) {
    const set = [ca?.source, cert?.source, key?.source].filter(Boolean).join(', ');
    problems.push(
      `KAFKA_SSL=false contradicts ${set}: TLS material needs TLS (leave KAFKA_SSL unset or true)`,
    );
  }
  if (cert && !key)
    problems.push(`${cert.source} needs KAFKA_SSL_KEY or KAFKA_SSL_KEY_FILE (its private key)`);
  if (key && !cert)
    problems.push(`${key.source} needs KAFKA_SSL_CERT or KAFKA_SSL_CERT_FILE (its certificate)`);
  if (c.sslKeyPassword && !key) problems.push('KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY');

  if (ca) certificates(ca, problems);
  const leaf = cert ? certificates(cert, problems)[0] : undefined;
  const keyObject = key ? privateKey(key, c.sslKeyPassword, problems) : undefined;
  if (leaf && keyObject && keyObject.asymmetricKeyType !== undefined && !leaf.checkPrivateKey(keyObject)) {
    problems.push(`${cert?.source} and ${key?.source} do not belong together (the key does not match)`);
  }
  if (problems.length > before) return undefined;
  return {
    ...(ca ? { ca: ca.value } : {}),
    ...(cert ? { cert: cert.value } : {}),
    ...(key ? { key: key.value } : {}),
    ...(c.sslKeyPassword ? { passphrase: c.sslKeyPassword } : {}),
  };
}

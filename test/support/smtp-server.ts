import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(__dirname, '..', '..');

/** One message as the server received it. */
export interface ReceivedMail {
  readonly mail_from: string;
  readonly rcpt_tos: string[];
  /** The DATA as sent: headers, blank line, body. */
  readonly data: string;
  /** Whether the session was encrypted when the message was sent (STARTTLS or implicit TLS). */
  readonly tls: boolean;
  readonly auth: { mechanism: string; login: string } | null;
  readonly ehlo: string | null;
}

/** A MAIL FROM or AUTH the server saw, accepted or not, and whether the session was encrypted then. */
export interface SmtpEvent {
  readonly kind: 'mail' | 'auth';
  readonly tls: boolean;
  readonly sender?: string;
  readonly mechanism?: string;
  readonly ok?: boolean;
}

export interface SmtpServerOptions {
  readonly tls: 'starttls' | 'implicit' | 'none';
  /** PEM files of the server's certificate and key (starttls, implicit). */
  readonly cert?: string;
  readonly key?: string;
  /** `user:password`: AUTH PLAIN/LOGIN offered (after TLS) and required. */
  readonly auth?: string;
  /** Offer only this AUTH mechanism. */
  readonly authOnly?: 'PLAIN' | 'LOGIN';
  /** Recipients answered 451 (transient) or 550 (permanent) at RCPT TO. */
  readonly defer?: readonly string[];
  readonly reject?: readonly string[];
}

export interface TestSmtpServer {
  readonly port: number;
  messages(): ReceivedMail[];
  events(): SmtpEvent[];
  stop(): Promise<void>;
}

/**
 * The folder holding aiosmtpd, for PYTHONPATH (tools/aiosmtpd.sh: installed once into .local from PyPI, about
 * 5 s; scripts/test.sh installs it before the tests run).
 */
export function aiosmtpdPath(): string {
  return execFileSync('bash', [path.join(ROOT, 'tools', 'aiosmtpd.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 180_000,
  }).trim();
}

/** Starts test/support/smtp-server.py on a free loopback port; resolves once it accepts connections. */
export async function startSmtpServer(opts: SmtpServerOptions): Promise<TestSmtpServer> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'tp-smtp-'));
  const args = [path.join(__dirname, 'smtp-server.py'), '--out', out, '--tls', opts.tls];
  if (opts.cert) args.push('--cert', opts.cert);
  if (opts.key) args.push('--key', opts.key);
  if (opts.auth) args.push('--auth', opts.auth);
  if (opts.authOnly) args.push('--auth-only', opts.authOnly);
  for (const a of opts.defer ?? []) args.push('--defer', a);
  for (const a of opts.reject ?? []) args.push('--reject', a);
  const child: ChildProcess = spawn('python3', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONPATH: aiosmtpdPath() },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`SMTP server did not start in 20 s: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`SMTP server exited (${code}): ${stderr}`)));
    if (!child.stdout) throw new Error('no stdout');
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const json = <T>(file: string): T => JSON.parse(readFileSync(path.join(out, file), 'utf8')) as T;
  return {
    port,
    messages: () =>
      readdirSync(out)
        .filter((f) => /^\d+\.json$/.test(f))
        .sort()
        .map((f) => json<ReceivedMail>(f)),
    events: () => {
      const file = path.join(out, 'events.jsonl');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SmtpEvent);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(out, { recursive: true, force: true });
    },
  };
}

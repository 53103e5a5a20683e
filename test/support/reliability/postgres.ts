import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  existsSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startFaultProxy, type FaultProxy } from '../fault-proxy';
import { execFileP, freePort, sleep, until } from './process';

/**
 * The reliability suite's own PostgreSQL: Debian's binaries, initdb as the postgres user (trust on
 * loopback), a free port, reachable directly and through a {@link FaultProxy}.
 */

export interface PrivatePostgres {
  /** Superuser URL of database `postgres`, direct. */
  readonly adminUrl: string;
  readonly port: number;
  /** Directory holding the data, socket and log (`runDir` itself unless we run as root). */
  readonly home: string;
  readonly proxy: FaultProxy;
  /** A fresh database; `url` is direct, `proxiedUrl` goes through the fault proxy. */
  createDatabase(name: string): Promise<{ url: string; proxiedUrl: string }>;
  /** pg_terminate_backend of every connection whose application_name starts so; resolves with how many. */
  terminateBackends(applicationNamePrefix: string): Promise<number>;
  /** pg_ctl restart -m fast (down for `downMs` in between); resolves once it accepts connections. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (!version)
    throw new Error(`no ${name} under ${base}: run scripts/infra.sh up once (installs PostgreSQL)`);
  return path.join(base, version, 'bin', name);
}

/** Runs a PostgreSQL server binary as the postgres user when we are root (the server refuses root). */
async function asPostgres(bin: string, args: string[]): Promise<string> {
  const [cmd, argv] =
    process.getuid?.() === 0
      ? ['runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]]
      : [pgBin(bin), args];
  const { stdout } = await execFileP(cmd, argv, { cwd: '/', maxBuffer: 1 << 24 });
  return stdout;
}

/** pg_ctl on a data directory, as the postgres user, waiting up to 60 s. */
export const pgCtl = (dataDir: string, args: string[]) =>
  asPostgres('pg_ctl', ['-D', dataDir, '-w', '-t', '60', ...args]);

/** Where a run's cluster lives: `runDir`/pg.dir names it, so a later run can stop and remove it. */
export const PG_HOME_FILE = 'pg.dir';

/**
 * Makes the cluster's home (data, socket and log) where the postgres user can reach it. When we run as root
 * the server runs as postgres, and the checkout may sit in a directory postgres cannot enter (root's home,
 * mode 0700), so the home goes under the system's temporary directory, owned by postgres, and `runDir`
 * records its path. Otherwise it is `runDir` itself.
 */
async function makePostgresHome(
  runDir: string,
): Promise<{ home: string; owner?: { uid: number; gid: number } }> {
  if (process.getuid?.() !== 0) return { home: runDir };
  const uid = Number((await execFileP('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await execFileP('id', ['-g', 'postgres'])).stdout.trim());
  const home = mkdtempSync(path.join(tmpdir(), 'telemetry-pulse-pg-'));
  chmodSync(home, 0o700);
  chownSync(home, uid, gid);
  writeFileSync(path.join(runDir, PG_HOME_FILE), home);
  return { home, owner: { uid, gid } };
}

/** initdb and start a cluster in `runDir`/pg, or (as root) in the home `runDir`/pg.dir names. */
export async function startPrivatePostgres(
  runDir: string,
  extra: {
    /** More `-c name=value` server options (TLS tests: ssl=on, ssl_cert_file=...). */
    options?: string;
    /** Runs after initdb, before the start: writes certificates, pg_hba.conf lines (owned by the server's user). */
    configure?: (dataDir: string) => void;
    /** Listen on this address besides loopback; createDatabase's `url` names it. */
    host?: string;
  } = {},
): Promise<PrivatePostgres> {
  const { home, owner } = await makePostgresHome(runDir);
  const dataDir = path.join(home, 'pg');
  const socketDir = path.join(home, 'pg-socket');
  const logFile = path.join(home, 'postgres.log');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(socketDir, { recursive: true });
  writeFileSync(logFile, '');
  if (owner) for (const p of [dataDir, socketDir, logFile]) chownSync(p, owner.uid, owner.gid);
  const port = await freePort();
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  extra.configure?.(dataDir);
  const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1${extra.host ? `,${extra.host}` : ''} -c max_connections=300 ${extra.options ?? ''}`;
  const start = () => pgCtl(dataDir, ['-l', logFile, '-o', options, 'start']);
  await start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } });
  const answers = async () => {
    const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  await until(`private PostgreSQL (see ${logFile}) did not answer`, answers, 60_000);
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: adminUrl });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  return {
    adminUrl,
    port,
    home,
    proxy,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      return {
        url: `postgres://postgres@${extra.host ?? '127.0.0.1'}:${port}/${name}`,
        proxiedUrl: `postgres://postgres@127.0.0.1:${proxy.port}/${name}`,
      };
    },
    terminateBackends: (prefix) =>
      admin(async (c) => {
        const { rows } = await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE starts_with(application_name, $1) AND pid <> pg_backend_pid()) t`,
          [prefix],
        );
        return rows[0]?.n ?? 0;
      }),
    async restart(downMs) {
      await pgCtl(dataDir, ['stop', '-m', 'fast']);
      await sleep(downMs);
      await start();
      await until('restarted PostgreSQL did not answer', answers, 60_000);
    },
    async stop() {
      await proxy.close();
      await pgCtl(dataDir, ['stop', '-m', 'immediate']).catch(() => undefined);
    },
  };
}

import { chownSync, mkdirSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { execFileP, freePort, sleep, until } from './reliability-process';

/**
 * The reliability suite's own PostgreSQL: Debian's binaries, initdb as the postgres user (trust on
 * loopback), a free port, reachable directly and through a {@link FaultProxy}.
 */

export interface PrivatePostgres {
  /** Superuser URL of database `postgres`, direct. */
  readonly adminUrl: string;
  readonly port: number;
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

/** initdb and start a cluster in `runDir`/pg. */
export async function startPrivatePostgres(runDir: string): Promise<PrivatePostgres> {
  const dataDir = path.join(runDir, 'pg');
  const socketDir = path.join(runDir, 'pg-socket');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(socketDir, { recursive: true });
  if (process.getuid?.() === 0) {
    const { stdout } = await execFileP('id', ['-u', 'postgres']);
    const { stdout: gid } = await execFileP('id', ['-g', 'postgres']);
    for (const d of [dataDir, socketDir]) chownSync(d, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const logFile = path.join(runDir, 'postgres.log');
  writeFileSync(logFile, '');
  if (process.getuid?.() === 0) {
    const { stdout } = await execFileP('id', ['-u', 'postgres']);
    chownSync(logFile, Number(stdout.trim()), 0);
  }
  const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c max_connections=300`;
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
    proxy,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      return {
        url: `postgres://postgres@127.0.0.1:${port}/${name}`,
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

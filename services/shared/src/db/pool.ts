import pg from 'pg';
import type { Logger } from '../log';
import { toPgConnection } from './tls';

// int8 (count(*), bigint columns) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** A pg pool whose idle-client errors (server restart, terminated backend) are logged, not fatal. */
export function createPool(opts: {
  url: string;
  /** DATABASE_CA / DATABASE_CA_FILE, already read. */
  ca?: string | undefined;
  caFile?: string | undefined;
  max: number;
  applicationName: string;
  logger: Logger;
}): pg.Pool {
  // libpq's sslmode semantics, not node-postgres' own (see ./tls.ts); throws ConfigError.
  const { connectionString, ssl, enableChannelBinding } = toPgConnection(opts.url, opts);
  const pool = new pg.Pool({
    connectionString,
    ssl,
    enableChannelBinding,
    max: opts.max,
    application_name: opts.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  const log = opts.logger.child({ component: 'pg' });
  pool.on('error', (err) => log.warn({ err }, 'idle database connection failed; it will be replaced'));
  return pool;
}

/** Runs `fn` in one transaction on a pooled client; rolls back on any error and rethrows it. */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A connection that dies between two queries emits 'error' on the checked-out client; unheard, that
  // would crash the process. The next query fails anyway and the caller's retry handles it.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection itself is gone; do not return it to the pool
    }
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

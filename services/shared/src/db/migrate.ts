import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from '../log';
import { DatabaseTlsError, describePgTlsError } from './tls';

/** Where the versioned SQL files live: `NNN_description.sql`, applied in order, never edited once shipped. */
export const MIGRATIONS_DIR = path.join(__dirname, '..', '..', 'migrations');

// Any constant shared by every migrating process: serialises concurrent start-ups of processor and API.
const MIGRATION_LOCK_KEY = 0x7e1e_0001;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** Reads and orders the migration files; refuses gaps, duplicates and badly named files. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m || m[1] === undefined || m[2] === undefined) {
      throw new Error(`migration file ${file} must be named NNN_description.sql`);
    }
    const sql = await readFile(path.join(dir, file), 'utf8');
    migrations.push({
      version: Number(m[1]),
      name: m[2],
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  migrations.forEach((mig, i) => {
    if (mig.version !== i + 1)
      throw new Error(`migration versions must run 1, 2, 3...; found ${mig.version} at ${i + 1}`);
  });
  return migrations;
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so processes starting
 * together migrate once. Refuses to run when an applied migration's file was changed afterwards.
 * Returns the versions applied now.
 */
export async function migrate(pool: pg.Pool, logger: Logger, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  // The first connection of every service: a TLS setup that can never work is named here, in one line.
  const client = await pool.connect().catch((err: unknown) => {
    const cause = describePgTlsError(err);
    if (cause === undefined) throw err;
    const { connectionString } = pool.options as { connectionString?: string };
    const server = connectionString ? new URL(connectionString).host : 'server';
    throw new DatabaseTlsError(server, cause, { cause: err });
  });
  const applied: number[] = [];
  const onError = (err: Error): void => logger.warn({ err }, 'migration connection failed');
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    for (const mig of migrations) {
      const previous = done.get(mig.version);
      if (previous !== undefined) {
        if (previous !== mig.checksum) {
          throw new Error(
            `migration ${mig.version}_${mig.name} changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(mig.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          mig.version,
          mig.name,
          mig.checksum,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${mig.version}_${mig.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      applied.push(mig.version);
      logger.info({ version: mig.version, name: mig.name }, 'applied migration');
    }
    const latest = migrations.at(-1)?.version ?? 0;
    const unknown = rows.filter((r) => r.version > latest);
    if (unknown.length > 0) {
      logger.warn(
        { versions: unknown.map((r) => r.version) },
        'database has migrations newer than this code',
      );
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.off('error', onError);
    client.release();
  }
  return applied;
}

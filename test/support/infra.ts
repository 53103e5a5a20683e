import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, createLogger, type KafkaClientOptions } from '@telemetry-pulse/shared';

/** The real broker started by scripts/infra.sh (or KAFKA_BROKERS). */
export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
/** The real PostgreSQL started by scripts/infra.sh (or DATABASE_URL); tests create scratch databases on it. */
export const ADMIN_DATABASE_URL = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

export const quietLogger = createLogger({
  service: 'test',
  level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent',
});

/**
 * For Kafka clients built in-process by tests: a fatal connection failure (bad credentials, untrusted
 * certificate) is written to stderr; a service would exit, which would end the test runner.
 */
export const testKafkaClientOptions: KafkaClientOptions = {
  onFatal: (err) => void process.stderr.write(`${err.message}\n`),
};

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testKafka(): Kafka {
  return new Kafka({ clientId: 'telemetry-test', brokers: BROKERS, logLevel: logLevel.NOTHING });
}

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the real server, so test files never see each other's rows. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = uniqueName('tp_it').replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await c.connect();
      try {
        await dropDatabase(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Drops `name`, ending the sessions still on it. `WITH (FORCE)` refuses (42501) when an autovacuum worker
 * is in the database and we are not a superuser, since the worker belongs to no role we are a member of;
 * a plain DROP DATABASE cancels autovacuum itself, so then we end our own sessions and drop without FORCE,
 * retrying while a session is still leaving (55006). Bounded: about 15 s.
 */
async function dropDatabase(c: pg.Client, name: string): Promise<void> {
  // pg-pool's end() resolves once it has *sent* its clients' Terminate, before the server has closed them;
  // FORCE would then hit those leaving sessions with 57P01, which their pool (its idle listener still
  // attached) re-emits as an unhandled 'error' in the test. Let them leave first (bounded: 2 s).
  for (let waited = 0; waited < 2_000; waited += 50) {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      [name],
    );
    if ((rows[0]?.n ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
  }
  for (let attempt = 1; ; attempt++) {
    await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()`,
      [name],
    );
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

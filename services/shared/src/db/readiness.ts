import type { Pool } from 'pg';

/** The `database` check of a service's /readyz: the pool hands out a connection that answers. */
export async function databaseCheck(pool: Pick<Pool, 'query'>): Promise<{ ok: boolean; detail?: string }> {
  try {
    await pool.query('SELECT 1');
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

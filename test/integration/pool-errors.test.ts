import { Writable } from 'node:stream';
import pg from 'pg';
import { createLogger, createPool } from '@telemetry-pulse/shared';
import { ADMIN_DATABASE_URL, waitFor } from '../support/infra';

/**
 * An idle pooled connection the server ends (a restart, pg_terminate_backend, a dropped database) is logged
 * and replaced. node-postgres attaches the whole pg Client to that error; the log line must not carry it:
 * it held the connection's password out of the redaction paths' reach, in ~4 KB per line.
 */
describe('database pool: an idle connection ended by the server (real PostgreSQL)', () => {
  it('logs one short warning without the pg client or its password, and the pool goes on', async () => {
    const lines: Record<string, unknown>[] = [];
    const raw: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        raw.push(chunk.toString());
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    const logger = createLogger({ service: 'unit', level: 'info', destination });
    const pool = createPool({ url: ADMIN_DATABASE_URL, max: 1, applicationName: 'pool-errors-test', logger });
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]?.pid;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const line = await waitFor(
        'the idle-connection warning',
        () => Promise.resolve(lines.find((l) => String(l['msg']).startsWith('idle database'))),
        10_000,
        50,
      );
      expect(line['level']).toBe('warn');
      expect(line['err']).toMatchObject({ type: expect.any(String), message: expect.any(String) });
      expect(line['err']).not.toHaveProperty('client');
      const text = raw.find((r) => r.includes('idle database')) ?? '';
      const password = new URL(ADMIN_DATABASE_URL).password;
      if (password) expect(text).not.toContain(password);
      expect(text.length).toBeLessThan(1_500);
      const again = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(again.rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});

import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from '../support/reliability/postgres';

/**
 * Regression: a checkout under a directory the postgres user cannot enter (root's home, mode 0700) failed
 * `npm test`, because the private cluster's initdb ran as postgres on a data directory inside the checkout.
 * Here the run directory sits under such a directory; the cluster must still start, answer and go away.
 */
const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('private PostgreSQL under a directory only root can enter', () => {
  let privateDir: string;
  let postgres: PrivatePostgres | undefined;

  beforeAll(() => {
    privateDir = mkdtempSync(path.join(tmpdir(), 'root-only-'));
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
  });

  afterAll(async () => {
    await postgres?.stop();
    if (postgres && postgres.home !== privateDir) rmSync(postgres.home, { recursive: true, force: true });
    rmSync(privateDir, { recursive: true, force: true });
  });

  it('starts, answers queries and keeps its files where postgres can reach them', async () => {
    const runDir = path.join(privateDir, 'checkout', '.local', 'reliability', 'run-1');
    mkdirSync(runDir, { recursive: true });
    postgres = await startPrivatePostgres(runDir);
    expect(postgres.home.startsWith(privateDir)).toBe(false);
    const db = await postgres.createDatabase('root_only_check');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    expect(existsSync(path.join(runDir, 'pg.dir'))).toBe(true);
  });
});

/**
 * Prints one line of pipeline figures from PostgreSQL every --every seconds (default 10), so `npm start`
 * shows readings flowing without opening a SQL shell; `--fresh` tells start.sh whether to backfill. Node runs
 * it as it is (types stripped), with no build.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';

const HELP = `Usage: node scripts/pipeline-status.ts [--every 10] [--once] [--fresh]

Prints raw readings stored, readings in the last minute, windows, open alerts and dead letters,
read from DATABASE_URL (default postgres://telemetry:telemetry@127.0.0.1:5432/telemetry).
--fresh prints nothing and exits 0 when no reading is stored yet, 1 otherwise (npm start's backfill).`;

const { values } = parseArgs({
  options: {
    every: { type: 'string', default: '10' },
    once: { type: 'boolean' },
    fresh: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const everyMs = Number(values.every) * 1000;
if (!(everyMs >= 1000)) {
  console.error('--every must be a number of seconds, at least 1');
  process.exit(2);
}

const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'] || 'postgres://telemetry:telemetry@127.0.0.1:5432/telemetry',
  max: 1,
});
pool.on('error', () => undefined);

const SQL = `SELECT (SELECT count(*) FROM raw_events) AS raw,
                    (SELECT count(*) FROM raw_events WHERE ingested_at > now() - interval '1 minute') AS last_minute,
                    (SELECT count(*) FROM window_aggregates) AS windows,
                    (SELECT count(*) FROM alerts WHERE status <> 'resolved') AS open_alerts,
                    (SELECT count(*) FROM dead_letters) AS dead_letters`;

interface StatusRow {
  raw: string;
  last_minute: string;
  windows: string;
  open_alerts: string;
  dead_letters: string;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function tick(): Promise<void> {
  try {
    const { rows } = await pool.query<StatusRow>(SQL);
    const r = rows[0];
    if (!r) return;
    console.log(
      `${new Date().toISOString().slice(11, 19)} raw readings ${r.raw} (+${r.last_minute} in the last minute), ` +
        `windows ${r.windows}, open alerts ${r.open_alerts}, dead letters ${r.dead_letters}`,
    );
  } catch (err) {
    console.log(`[status] database not answering yet: ${message(err)}`);
  }
}

/** Exit 0 when no reading is stored yet (a fresh database), 1 otherwise, 2 when the database does not answer. */
async function fresh(): Promise<void> {
  try {
    const { rows } = await pool.query<{ fresh: boolean }>(
      'SELECT NOT EXISTS (SELECT 1 FROM raw_events) AS fresh',
    );
    process.exitCode = rows[0]?.fresh ? 0 : 1;
  } catch (err) {
    console.error(`[status] database not answering: ${message(err)}`);
    process.exitCode = 2;
  }
  await pool.end();
}

(async () => {
  if (values.fresh) return fresh();
  await tick();
  if (values.once) return pool.end();
  const timer = setInterval(tick, everyMs);
  const stop = () => {
    clearInterval(timer);
    pool.end().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
})();

import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR, migrate } from '@telemetry-pulse/shared';
import { createScratchDatabase, quietLogger, waitFor } from '../support/infra';
import { aggregateMismatches } from '../support/invariants';
import { scrape, sumOf } from '../support/metrics';
import { appliedRecords } from '../support/pipeline';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';

const DAY = 86_400_000; // ms
const dayStart = (ms: number): number => Math.floor(ms / DAY) * DAY;

interface Reading {
  readonly event_id: string;
  readonly device_id: string;
  readonly site_id: string;
  readonly zone_id: string;
  readonly sensor_type: string;
  readonly value: number;
  readonly ts_event: string;
}

const reading = (tsMs: number, value: number, device = 'dev-1'): Reading => ({
  event_id: randomUUID(),
  device_id: device,
  site_id: 'site-1',
  zone_id: 'zone-1',
  sensor_type: 'co2',
  value,
  ts_event: new Date(tsMs).toISOString(),
});

/** Everything a replay could change, as one digest per table. */
async function digest(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ raw: string; windows: string; counts: string }>(
    `SELECT (SELECT md5(string_agg(r::text, ',' ORDER BY ts_event, event_id)) FROM raw_events r) AS raw,
            (SELECT md5(string_agg(w::text, ',' ORDER BY window_seconds, site_id, zone_id, sensor_type, window_start))
               FROM window_aggregates w) AS windows,
            (SELECT md5(string_agg(c::text, ',' ORDER BY kafka_partition, day)) FROM raw_event_counts c) AS counts`,
  );
  return rows[0] as unknown as Record<string, string>;
}

/**
 * Issue 19, item 1: raw readings partitioned by event time, on the real broker and database. The same
 * event id is stored once whichever partition (table) its time falls in; a reading for a day whose
 * partition was dropped is counted as expired without failing its batch; a replay changes no row.
 */
describe('time-partitioned raw readings (real Kafka and PostgreSQL)', () => {
  let f: ProcessorFixture;

  beforeAll(async () => {
    f = await openProcessorFixture({ prefix: 'storage', partitions: 1 });
  });

  afterAll(async () => {
    await f.close();
  });

  const send = async (readings: readonly Reading[]): Promise<void> => {
    await f.producer.send({
      topic: f.topic,
      messages: readings.map((r) => ({ key: r.device_id, value: JSON.stringify(r) })),
    });
  };

  it('stores an event id once across partition boundaries, drops expired days, and replays without change', async () => {
    const today = dayStart(Date.now());
    const old = today - 5 * DAY;
    // Yesterday and the old day get real partitions, so the boundary below lies between two tables.
    await migrate(f.pool, quietLogger);
    await f.pool.query(
      'SELECT create_raw_events_partition(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000))',
      [today - DAY, today],
    );
    await f.pool.query(
      'SELECT create_raw_events_partition(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000))',
      [old, old + DAY],
    );

    const { processor, opsPort } = await f.startProcessor({ PROCESSOR_RAW_RETENTION: '30d' });
    const beforeMidnight = reading(today - 1, 400);
    const atMidnight = reading(today, 401);
    const oldDay = reading(old + 3600_000, 402, 'dev-old');
    // A day inside the retention that nobody created a partition for: the processor's first pass did.
    const threeDaysAgo = reading(today - 3 * DAY + 60_000, 405, 'dev-old');
    const first = [beforeMidnight, atMidnight, oldDay, threeDaysAgo];
    await send(first);
    await send([atMidnight, beforeMidnight]); // redelivered in a later batch
    await send([beforeMidnight, atMidnight, atMidnight]); // and repeated inside one
    await waitFor('9 records applied', async () =>
      (await appliedRecords(f.pool, f.group, f.topic)) >= 9 ? true : undefined,
    );
    const stored = await f.pool.query<{ event_id: string; part: string }>(
      'SELECT event_id::text, tableoid::regclass::text AS part FROM raw_events ORDER BY ts_event',
    );
    const name = (ms: number) => `raw_events_p${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect(stored.rows).toEqual([
      { event_id: oldDay.event_id, part: name(old) },
      { event_id: threeDaysAgo.event_id, part: name(today - 3 * DAY) },
      { event_id: beforeMidnight.event_id, part: name(today - DAY) },
      { event_id: atMidnight.event_id, part: name(today) },
    ]);
    expect(
      sumOf(
        await scrape(`http://127.0.0.1:${opsPort}/metrics`),
        'telemetry_processor_events_duplicate_total',
      ),
    ).toBe(5);
    await processor.stop();

    // A 2-day retention: the old day's partition goes when the next processor starts (its first pass).
    const second = await f.startProcessor({ PROCESSOR_RAW_RETENTION: '2d', PROCESSOR_LATE_HORIZON: '1h' });
    const { rows: parts } = await f.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'raw_events'::regclass ORDER BY 1`,
    );
    expect(parts.map((p) => p.name)).not.toContain(name(old));
    expect(parts.map((p) => p.name)).not.toContain(name(today - 3 * DAY));
    expect(parts.map((p) => p.name)).toContain(name(today - DAY));
    // Every day from the horizon on has its partition; the default one never received a reading.
    expect(parts.map((p) => p.name)).toEqual(
      [...[-2, -1, 0, 1, 2].map((d) => name(today + d * DAY)), 'raw_events_default'].sort(),
    );
    const { rows: strays } = await f.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM raw_events_default',
    );
    expect(strays[0]?.n).toBe(0);
    const { rows: horizon } = await f.pool.query<{ ms: number }>(
      `SELECT extract(epoch FROM kept_from)::float8 * 1000 AS ms FROM storage_horizons WHERE tier = 'raw'`,
    );
    expect(horizon[0]?.ms).toBe(today - 2 * DAY);
    // A new reading for the dropped day and a redelivery of the old one: counted, not stored, no failure.
    const dropped = reading(old + 7200_000, 403, 'dev-old');
    await send([dropped, oldDay, reading(Date.now(), 404)]);
    await waitFor('12 records applied', async () =>
      (await appliedRecords(f.pool, f.group, f.topic)) >= 12 ? true : undefined,
    );
    const metrics = await scrape(`http://127.0.0.1:${second.opsPort}/metrics`);
    expect(sumOf(metrics, 'telemetry_processor_events_expired_total')).toBe(2);
    expect(sumOf(metrics, 'telemetry_processor_events_stored_total')).toBe(1);
    const { rows: count } = await f.pool.query<{ n: number; counted: number; dead: number }>(
      `SELECT (SELECT count(*)::int FROM raw_events) AS n,
              (SELECT sum(events)::int FROM raw_event_counts) AS counted,
              (SELECT count(*)::int FROM dead_letters) AS dead`,
    );
    expect(count[0]).toEqual({ n: 3, counted: 3, dead: 0 });
    expect(await aggregateMismatches(f.pool)).toEqual([]);
    await second.processor.stop();

    // Replay everything from the earliest offset under a new group: no row changes anywhere.
    const before = await digest(f.pool);
    const replayGroup = `${f.group}-replay`;
    await f.startProcessor({
      PROCESSOR_GROUP_ID: replayGroup,
      PROCESSOR_RAW_RETENTION: '2d',
      PROCESSOR_LATE_HORIZON: '1h',
    });
    await waitFor('the replay applied', async () =>
      (await appliedRecords(f.pool, replayGroup, f.topic)) >= 12 ? true : undefined,
    );
    expect(await digest(f.pool)).toEqual(before);
  });
});

/**
 * The migration of a database that already holds readings in the old single table: they are kept (as the
 * partition below the day after the newest), stay deduplicated, and fall out as a whole later.
 */
describe('migrating an existing raw_events table (real PostgreSQL)', () => {
  it('keeps every row, their counts and their dedup key', async () => {
    const db = await createScratchDatabase();
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    try {
      const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f < '009');
      await Promise.all(files.map((f) => cp(path.join(MIGRATIONS_DIR, f), path.join(dir, f))));
      await migrate(pool, quietLogger, dir);
      await pool.query(
        `INSERT INTO raw_events (event_id, device_id, site_id, zone_id, sensor_type, value, ts_event,
                                 kafka_partition, kafka_offset)
         SELECT gen_random_uuid(), 'dev-' || (i % 4), 'site-1', 'zone-1', 'co2', i, now() - i * interval '1 hour',
                i % 2, i
           FROM generate_series(1, 100) i`,
      );
      const before = await pool.query<{ n: number; ids: string }>(
        `SELECT count(*)::int AS n, md5(string_agg(event_id::text, ',' ORDER BY event_id)) AS ids FROM raw_events`,
      );
      // 009 (partitioning) and every migration after it, in order.
      const later = (await readdir(MIGRATIONS_DIR))
        .filter((f) => f.endsWith('.sql') && f >= '009')
        .map((f) => Number(f.slice(0, 3)))
        .sort((a, b) => a - b);
      expect(later.slice(0, 2)).toEqual([9, 10]);
      expect(await migrate(pool, quietLogger)).toEqual(later);
      const after = await pool.query<{ n: number; ids: string }>(
        `SELECT count(*)::int AS n, md5(string_agg(event_id::text, ',' ORDER BY event_id)) AS ids FROM raw_events`,
      );
      expect(after.rows).toEqual(before.rows);
      const { rows: legacy } = await pool.query<{ bound: string; counted: number }>(
        `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound, (SELECT sum(events)::int FROM raw_event_counts) AS counted
           FROM pg_class c WHERE c.relname = 'raw_events_legacy'`,
      );
      expect(legacy[0]?.bound).toMatch(/^FOR VALUES FROM \(MINVALUE\) TO \('.+'\)$/);
      expect(legacy[0]?.counted).toBe(100);
      // The same reading again (same id, same time) is refused by the key the old rows now carry.
      const again = await pool.query(
        `INSERT INTO raw_events (event_id, device_id, site_id, zone_id, sensor_type, value, ts_event,
                                 kafka_partition, kafka_offset)
         SELECT event_id, device_id, site_id, zone_id, sensor_type, value, ts_event, kafka_partition, kafka_offset
           FROM raw_events
         ON CONFLICT (ts_event, event_id) DO NOTHING`,
      );
      expect(again.rowCount).toBe(0);
    } finally {
      await pool.end();
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});

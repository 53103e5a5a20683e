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
import { deletePublishedDeadLetters } from '../../services/processor/src/adapters/postgres/history';
import { upkeepStorage } from '../../services/processor/src/storage-upkeep';

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

/**
 * The operational history's retention: published dead letters and settled alert notifications go after
 * their retention; what exists nowhere else (a letter never published) or what a channel still works from
 * (a pending delivery, the transitions of an alert still open) stays, however old.
 */
describe('dead letter and notification retention (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await migrate(pool, quietLogger);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const letter = (table: string, offset: number, ageDays: number, published: boolean) =>
    pool.query(
      `INSERT INTO ${table} (consumer_group, topic, partition, "offset", error_code, error_message, message_value,
                             created_at, published_at, publish_error)
       VALUES ('g', 't', 0, $1, 'INVALID_JSON', 'x', '\\xff'::bytea, now() - make_interval(days => $2),
               CASE WHEN $3 THEN now() - make_interval(days => $2) END,
               CASE WHEN NOT $3 THEN 'TOPIC_AUTHORIZATION_FAILED' END)`,
      [offset, ageDays, published],
    );

  const alert = async (device: string, resolved: boolean): Promise<number> => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message, opened_at)
       VALUES ('co2-high', $1, 'site-1', 'zone-1', 'co2', 'warning', 'open', 'CO2 high', now()) RETURNING alert_id AS id`,
      [device],
    );
    const id = Number(rows[0]?.id);
    if (resolved)
      await pool.query(`UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE alert_id = $1`, [
        id,
      ]);
    return id;
  };

  it('deletes only published letters and settled transitions past their retention', async () => {
    await letter('dead_letters', 1, 40, true); // old, published: goes
    await letter('dead_letters', 2, 40, false); // old, refused by the topic: the only copy, stays
    await letter('dead_letters', 3, 5, true); // published, inside the retention: stays
    await letter('dead_letters_superseded', 4, 40, true); // goes
    await letter('dead_letters_superseded', 5, 40, false); // stays

    await alert('dev-settled', true); // opened + resolved, both delivered: both go
    const pendingResolve = await alert('dev-pending', true); // its resolved transition still pending
    const open = await alert('dev-open', false); // still open: Alertmanager re-posts it from these
    await pool.query(`UPDATE notification_transitions SET created_at = now() - interval '40 days'`);
    const fresh = await alert('dev-fresh', true); // resolved, recorded now: stays
    await pool.query(
      `INSERT INTO notification_deliveries (channel, transition_id, idempotency_key, status)
       SELECT 'hook', t.transition_id, 'k' || t.transition_id,
              CASE WHEN t.alert_id = $1 AND t.kind = 'resolved' THEN 'pending' ELSE 'delivered' END
         FROM notification_transitions t`,
      [pendingResolve],
    );

    const policy = {
      rawRetentionMs: 7 * DAY,
      partitionMs: DAY,
      partitionsAhead: 2,
      windowSeconds: [300, 900],
      windowRetentionMs: new Map<number, number>(),
      deadLetterRetentionMs: 30 * DAY,
      notificationRetentionMs: 30 * DAY,
    };
    const report = await upkeepStorage(pool, policy, Date.now(), quietLogger);
    expect({ letters: report.deadLettersDeleted, transitions: report.transitionsDeleted }).toEqual({
      letters: 2,
      transitions: 3, // settled's two, and pendingResolve's opened one
    });

    const { rows: letters } = await pool.query<{ offset: string }>(
      `SELECT "offset" FROM dead_letters UNION ALL SELECT "offset" FROM dead_letters_superseded ORDER BY 1`,
    );
    expect(letters.map((r) => Number(r.offset))).toEqual([2, 3, 5]);
    const { rows: kept } = await pool.query<{ alert_id: string; kind: string; deliveries: number }>(
      `SELECT t.alert_id, t.kind, (SELECT count(*)::int FROM notification_deliveries d
                                    WHERE d.transition_id = t.transition_id) AS deliveries
         FROM notification_transitions t ORDER BY t.transition_id`,
    );
    expect(kept.map((r) => [Number(r.alert_id), r.kind, r.deliveries])).toEqual([
      [pendingResolve, 'resolved', 1],
      [open, 'opened', 1],
      [fresh, 'opened', 1],
      [fresh, 'resolved', 1],
    ]);
    const { rows: orphans } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification_deliveries d
        WHERE NOT EXISTS (SELECT 1 FROM notification_transitions t WHERE t.transition_id = d.transition_id)`,
    );
    expect(orphans[0]?.n).toBe(0);
  });

  it('deletes in bounded chunks and leaves the rest to the next pass', async () => {
    for (const offset of [10, 11, 12]) await letter('dead_letters', offset, 40, true);
    const before = Date.now() - 30 * DAY;
    expect(await deletePublishedDeadLetters(pool, before, { chunk: 1, maxChunks: 2 })).toBe(2);
    expect(await deletePublishedDeadLetters(pool, before, { chunk: 1, maxChunks: 2 })).toBe(1);
    expect(await deletePublishedDeadLetters(pool, before, { chunk: 1, maxChunks: 2 })).toBe(0);
  });
});

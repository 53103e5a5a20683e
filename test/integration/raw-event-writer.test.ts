import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { migrate, withTransaction } from '@telemetry-pulse/shared';
import type { TelemetryEvent } from '@telemetry-pulse/shared/core';
import { createAlertStore } from '../../services/processor/src/adapters/postgres/alerts';
import {
  copyRawEvents,
  createRawEventWriter,
  insertRawEvents,
  StoredIdInCopy,
} from '../../services/processor/src/adapters/postgres/raw-events';
import { applyBatch, type ApplyDeps, type BatchInput } from '../../services/processor/src/apply-batch';
import type { AcceptedReading } from '../../services/processor/src/domain/plan-batch';
import { createScratchDatabase, quietLogger, type ScratchDatabase } from '../support/infra';

/**
 * The processor stores a batch's raw readings with one COPY and falls back to INSERT ... ON CONFLICT when
 * the COPY meets an id already stored. Both paths must store the same row for the same reading (the key
 * holds the event time, so a repeat written by the other path must collide), and a fallback must store
 * every id once: the failed COPY aborts its transaction and the batch is applied again with the INSERT.
 */
describe('raw event writer: COPY with an INSERT fallback (real PostgreSQL)', () => {
  let db: ScratchDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createScratchDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    await migrate(pool, quietLogger);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  let nextOffset = 0;
  const reading = (over: Partial<AcceptedReading> = {}): AcceptedReading => ({
    eventId: randomUUID(),
    deviceId: 'dev-1',
    siteId: 'site-a',
    zoneId: 'zone-1',
    sensorType: 'co2',
    value: 612.25,
    unit: 'ppm',
    tsEventMs: Date.UTC(2026, 11, 3, 10, 0, 0, 123),
    partition: 0,
    offset: String(nextOffset++),
    lateness: 'on_time',
    ...over,
  });

  interface Row {
    event_id: string;
    device_id: string;
    site_id: string;
    zone_id: string;
    sensor_type: string;
    value: number;
    unit: string | null;
    ts: string;
    kafka_partition: number;
    kafka_offset: string;
    lateness: string;
  }
  const rowsOf = async (ids: readonly string[]): Promise<Row[]> =>
    (
      await pool.query<Row>(
        `SELECT event_id::text, device_id, site_id, zone_id, sensor_type, value, unit,
                to_char(ts_event AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts,
                kafka_partition, kafka_offset::text, lateness
           FROM raw_events WHERE event_id = ANY($1::uuid[]) ORDER BY kafka_offset`,
        [ids],
      )
    ).rows;
  const stored = async (ids: readonly string[]): Promise<number> =>
    (
      await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM raw_events WHERE event_id = ANY($1::uuid[])',
        [ids],
      )
    ).rows[0]?.n ?? -1;

  it('COPY and INSERT store the same row for the same reading, odd text and large numbers included', async () => {
    const tricky = { deviceId: 'dev\\back', zoneId: 'zone "q"', unit: null, value: -0.1 + 0.3 };
    const wide = {
      siteId: 'Gebäude Süd ☀ 𝄞',
      unit: '°C',
      value: -1.7976931348623157e308,
      offset: String(2 ** 53 - 1),
      partition: 1023,
      tsEventMs: Date.UTC(2099, 11, 31, 23, 59, 59, 999),
    };
    const viaCopy = [
      reading(tricky),
      reading({ tsEventMs: Date.UTC(2026, 11, 3, 23, 59, 59, 999) }),
      reading({ ...wide, eventId: randomUUID().toUpperCase() }),
      reading({ tsEventMs: Date.UTC(2000, 0, 1), value: 5e-324, offset: String(2 ** 32 + 7) }),
    ];
    const viaInsert = viaCopy.map((r) => ({ ...r, eventId: randomUUID() }));
    await withTransaction(pool, (c) => copyRawEvents(c, viaCopy));
    await withTransaction(pool, (c) => insertRawEvents(c, viaInsert));
    const a = await rowsOf(viaCopy.map((r) => r.eventId.toLowerCase()));
    const b = await rowsOf(viaInsert.map((r) => r.eventId));
    expect(a).toHaveLength(4);
    expect(a.map(({ event_id: _, ...rest }) => rest)).toEqual(b.map(({ event_id: _, ...rest }) => rest));
    expect(a[0]).toMatchObject({
      device_id: 'dev\\back',
      zone_id: 'zone "q"',
      unit: null,
      value: -0.1 + 0.3,
    });
    expect(a[0]?.ts).toBe('2026-12-03T10:00:00.123000');
    expect(a[1]?.ts).toBe('2026-12-03T23:59:59.999000');
    expect(a.find((r) => r.event_id === viaCopy[2]?.eventId.toLowerCase())).toMatchObject({
      site_id: wide.siteId,
      unit: '°C',
      value: wide.value,
      kafka_partition: 1023,
      kafka_offset: wide.offset,
      ts: '2099-12-31T23:59:59.999000',
    });
    expect(a.find((r) => r.kafka_offset === String(2 ** 32 + 7))).toMatchObject({
      value: 5e-324,
      ts: '2000-01-01T00:00:00.000000',
    });
  });

  it('a COPY meeting a stored id aborts its transaction; the batch again with the INSERT stores the rest once', async () => {
    let fallbacks = 0;
    const writer = createRawEventWriter({
      insertBatchesAfterDuplicate: 2,
      onFallback: () => (fallbacks += 1),
    });
    const earlier = reading();
    await withTransaction(pool, (c) => insertRawEvents(c, [earlier]));

    const batch = [reading(), { ...earlier, offset: String(nextOffset++) }, reading()];
    const failed = withTransaction(pool, (c) => writer.write(c, batch));
    await expect(failed).rejects.toBeInstanceOf(StoredIdInCopy);
    await expect(failed).rejects.toMatchObject({ cause: { code: '23505' } });
    expect(fallbacks).toBe(1);
    expect(await stored(batch.map((r) => r.eventId))).toBe(1); // the COPY's rows went with its transaction

    const inserted = await withTransaction(pool, (c) => writer.write(c, batch, 'insert'));
    expect([...inserted].sort()).toEqual([batch[0]?.eventId, batch[2]?.eventId].sort());
    expect(await stored(batch.map((r) => r.eventId))).toBe(3);
    const counted = await pool.query<{ n: string }>('SELECT sum(events)::text AS n FROM raw_event_counts');
    const rows = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM raw_events');
    expect(counted.rows[0]?.n).toBe(rows.rows[0]?.n);

    // The next two batches go straight to the INSERT (a repeat in them is no fallback), then COPY again.
    for (let i = 0; i < 2; i++) {
      const again = [{ ...earlier, offset: String(nextOffset++) }, reading()];
      const ids = await withTransaction(pool, (c) => writer.write(c, again));
      expect([...ids]).toEqual([again[1]?.eventId]);
    }
    expect(fallbacks).toBe(1);
    const third = [reading(), { ...earlier, offset: String(nextOffset++) }];
    await expect(withTransaction(pool, (c) => writer.write(c, third))).rejects.toBeInstanceOf(StoredIdInCopy);
    expect(fallbacks).toBe(2);
    expect(await stored([earlier.eventId])).toBe(1);
  });

  it('the INSERT stores an id repeated inside one batch once', async () => {
    const writer = createRawEventWriter();
    const r = reading();
    const ids = await withTransaction(pool, (c) =>
      writer.write(c, [r, { ...r, offset: String(nextOffset++) }], 'insert'),
    );
    expect([...ids]).toEqual([r.eventId]);
    expect(await stored([r.eventId])).toBe(1);
  });

  it('a processor batch holding readings stored before goes in through the INSERT, each reading once', async () => {
    let fallbacks = 0;
    const deps: ApplyDeps = {
      pool,
      windowSeconds: [300],
      rollupSeconds: [],
      rollupSourceSeconds: null,
      lateness: { allowedLatenessMs: 120_000, horizonMs: 86_400_000, idleAfterMs: 30_000 },
      alerts: createAlertStore([]),
      rawEvents: createRawEventWriter({ onFallback: () => (fallbacks += 1) }),
    };
    const at = Date.UTC(2026, 11, 3, 11, 0, 0);
    const event = (value: number): TelemetryEvent => ({
      eventId: randomUUID(),
      deviceId: 'dev-apply',
      siteId: 'site-apply',
      zoneId: 'zone-apply',
      sensorType: 'co2',
      value,
      unit: 'ppm',
      tsEventMs: at,
    });
    const input = (events: readonly TelemetryEvent[], first: number): BatchInput => ({
      group: 'g-apply',
      topic: 't-apply',
      partition: 0,
      firstOffset: String(first),
      lastOffset: String(first + events.length - 1),
      highWatermark: String(first + events.length),
      valid: events.map((e, i) => ({ event: e, offset: String(first + i), clockMs: e.tsEventMs })),
      rejected: [],
      attempt: 1,
    });
    const [a, b, c] = [event(500), event(600), event(700)];
    if (!a || !b || !c) throw new Error('unreachable');
    const first = await applyBatch(deps, input([a, b], 0));
    expect(first).toMatchObject({ stored: 2, duplicates: 0 });
    // A producer re-sent `b` (new offset, same id) next to a new reading `c`.
    const second = await applyBatch(deps, input([b, c], 2));
    expect(second).toMatchObject({ stored: 1, duplicates: 1, alreadyApplied: false });
    expect(fallbacks).toBe(1);
    expect(await stored([a.eventId, b.eventId, c.eventId])).toBe(3);
    const window = await pool.query<{ count: string; sum: number }>(
      `SELECT sample_count::text AS count, value_sum AS sum FROM window_aggregates
        WHERE zone_id = 'zone-apply' AND window_seconds = 300 AND sensor_type = 'co2'`,
    );
    expect(window.rows).toEqual([{ count: '3', sum: 1800 }]);
    const progress = await pool.query<{ next_offset: string }>(
      `SELECT next_offset::text FROM consumer_offsets WHERE consumer_group = 'g-apply'`,
    );
    expect(progress.rows).toEqual([{ next_offset: '4' }]);
  });

  it('an error other than a repeated id fails the batch instead of falling back', async () => {
    let fallbacks = 0;
    const writer = createRawEventWriter({ onFallback: () => (fallbacks += 1) });
    const bad = reading({ lateness: 'sideways' as AcceptedReading['lateness'] });
    await expect(withTransaction(pool, (c) => writer.write(c, [reading(), bad]))).rejects.toMatchObject({
      code: '23514',
    });
    expect(fallbacks).toBe(0);
    expect(await stored([bad.eventId])).toBe(0);
  });
});

import pg from 'pg';
import type { Api } from '@telemetry-pulse/api';
import { startTestApi } from '../support/api';
import { createScratchDatabase, type ScratchDatabase } from '../support/infra';

const DAY = 86_400_000; // ms

interface Bucket {
  bucket_start: string;
  count: number;
  min: number;
  max: number;
  tier: string;
}

/**
 * Issue 19, item 2: the aggregates route reads each range from the finest tier still holding it and says
 * which answered. Here the 5 m tier keeps one day and the 15 m and 1 h tiers keep everything, as the
 * processor's retention pass leaves them (windows and storage_horizons written directly: one reading
 * every 5 minutes for three days, value = minute of the day).
 */
describe('aggregates across storage tiers (real PostgreSQL)', () => {
  let db: ScratchDatabase;
  let api: Api | undefined;
  let url = '';
  const today = Math.floor(Date.now() / DAY) * DAY;
  const from = today - 2 * DAY;
  const to = today + DAY;
  const horizon5m = today - DAY;

  beforeAll(async () => {
    db = await createScratchDatabase();
    ({ api, url } = await startTestApi({ DATABASE_URL: db.url }));
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await pool.query(
        `WITH slots AS (
           SELECT ts, (extract(epoch FROM ts)::bigint % 86400 / 60)::float8 AS v
             FROM generate_series(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000) - interval '5 minutes',
                                  interval '5 minutes') AS ts)
         INSERT INTO window_aggregates (window_seconds, site_id, zone_id, sensor_type, window_start, sample_count,
                                        value_sum, value_sum_sq, value_min, value_max, is_final)
         SELECT w.secs, 'site-1', 'zone-1', 'co2', date_bin(make_interval(secs => w.secs), ts, timestamptz 'epoch'),
                count(*), sum(v), sum(v * v), min(v), max(v), true
           FROM slots CROSS JOIN (VALUES (300), (900), (3600)) AS w(secs)
          WHERE w.secs <> 300 OR ts >= to_timestamp($3::float8 / 1000)
          GROUP BY 1, 5`,
        [from, to, horizon5m],
      );
      await pool.query(
        `INSERT INTO storage_horizons (tier, kept_from) VALUES
           ('300', to_timestamp($1::float8 / 1000)), ('900', '-infinity'), ('3600', '-infinity')`,
        [horizon5m],
      );
    } finally {
      await pool.end();
    }
  });

  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  async function walk(bucket: string, limit: number): Promise<Bucket[]> {
    const items: Bucket[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const q = new URLSearchParams({
        sensor_type: 'co2',
        bucket,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        limit: String(limit),
        ...(cursor ? { cursor } : {}),
      });
      const res = await fetch(`${url}/api/v1/aggregates?${q}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: Bucket[]; next_cursor: string | null };
      items.push(...body.items);
      cursor = body.next_cursor;
      if (cursor === null) return items;
    }
    throw new Error('more than 100 pages');
  }

  it('answers 5 m buckets from the 15 m tier where the 5 m tier is gone, and says so, page after page', async () => {
    const items = await walk('5m', 97);
    const widthOf = { '15m': 900_000, '5m': 300_000 } as Record<string, number>;
    // Contiguous, no bucket twice, each as wide as its tier, every reading counted once.
    items.forEach((b, i) => {
      const next = items[i + 1];
      if (next)
        expect(Date.parse(next.bucket_start)).toBe(Date.parse(b.bucket_start) + (widthOf[b.tier] ?? 0));
    });
    expect(items[0]?.bucket_start).toBe(new Date(from).toISOString());
    expect(items.filter((b) => b.tier === '15m')).toHaveLength(96);
    expect(items.filter((b) => b.tier === '5m')).toHaveLength(2 * 288);
    expect(items.every((b) => b.count === (b.tier === '15m' ? 3 : 1))).toBe(true);
    expect(items.find((b) => b.tier === '5m')?.bucket_start).toBe(new Date(horizon5m).toISOString());
    expect(items.reduce((n, b) => n + b.count, 0)).toBe(3 * 288);
  });

  it('answers 1 h buckets from the 1 h tier, exactly', async () => {
    const items = await walk('1h', 1000);
    expect(items).toHaveLength(72);
    expect(new Set(items.map((b) => b.tier))).toEqual(new Set(['1h']));
    expect(items.every((b) => b.count === 12)).toBe(true);
    expect(items[1]).toMatchObject({ min: 60, max: 115 });
  });
});

import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import pg from 'pg';
import { createLogger } from '@telemetry-pulse/shared';
import { contract, hashApiKey, type Api } from '@telemetry-pulse/api';
import { startTestApi } from '../support/api';
import { createScratchDatabase, waitFor, type ScratchDatabase } from '../support/infra';

/** A cursor as the API encodes them (base64url JSON), holding whatever key we like. */
const cursorOf = (key: unknown): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/**
 * The API's edges (issue 14, item 7) on the real server and database: a client behind a trusted proxy
 * cannot pick its own rate-limit bucket with X-Forwarded-For, a tampered cursor is a 400 problem (never a
 * 500), and a live-stream client that stops reading is cut off, its slot freed, with one log line.
 */
describe('API edges (real PostgreSQL)', () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await createScratchDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** A GET with exactly these headers (fetch would refuse none of them, but adds its own). */
  function get(
    base: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; type: string | undefined; text: string }> {
    const { port } = new URL(base);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: Number(port), path, headers, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  describe('behind a trusted proxy (API_TRUST_PROXY=true)', () => {
    let api: Api | undefined;
    let url = '';

    beforeAll(async () => {
      ({ api, url } = await startTestApi({
        DATABASE_URL: db.url,
        API_TRUST_PROXY: 'true',
        API_RATE_LIMIT: '0.5',
        API_RATE_BURST: '3',
      }));
    });
    afterAll(async () => {
      await api?.stop();
    });

    it('charges a client that writes its own X-Forwarded-For to its real address, not a new bucket', async () => {
      // The proxy appends the address it saw (198.51.100.7) to whatever the client sent; a client that
      // sends a fresh address each time must still share one bucket.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const r = await get(url, '/api/v1/sites', { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.7` });
        statuses.push(r.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
      // Another client behind the same proxy has a bucket of its own.
      expect((await get(url, '/api/v1/sites', { 'x-forwarded-for': '198.51.100.8' })).status).toBe(200);
    });
  });

  describe('with a tampered cursor', () => {
    let api: Api | undefined;
    let url = '';

    beforeAll(async () => {
      ({ api, url } = await startTestApi({ DATABASE_URL: db.url }));
    });
    afterAll(async () => {
      await api?.stop();
    });

    // Keys of the right shape (array of the route's arity) with values no page could have produced.
    const HOSTILE_KEYS: unknown[] = [
      1e300,
      -1e300,
      1.5,
      2 ** 63,
      -(2 ** 63),
      2 ** 53 + 2,
      -1,
      '\u0000',
      'a\u0000b',
      '\ud800',
      '\u001b[31m',
      'x'.repeat(700),
    ];
    const LISTS = [
      '/api/v1/sites',
      '/api/v1/zones',
      '/api/v1/devices',
      '/api/v1/zones/latest',
      '/api/v1/devices/latest',
      '/api/v1/alerts',
      '/api/v1/aggregates?sensor_type=co2&bucket=1h',
    ];

    it('answers every list with 200 or a 400 problem naming cursor, never a 500', async () => {
      const failures: string[] = [];
      for (const list of LISTS) {
        for (const value of HOSTILE_KEYS) {
          for (const arity of [1, 2, 3]) {
            const cursor = cursorOf(Array.from({ length: arity }, () => value));
            const path = `${list}${list.includes('?') ? '&' : '?'}cursor=${cursor}`;
            const r = await get(url, path);
            const label = `${list} [${JSON.stringify(value).slice(0, 20)} x${arity}]`;
            if (r.status === 200) continue;
            if (r.status !== 400 || r.type !== 'application/problem+json') {
              failures.push(`${label} -> ${r.status} ${r.text.slice(0, 160)}`);
              continue;
            }
            const problem = contract.problemSchema.parse(JSON.parse(r.text));
            if (!problem.errors?.some((e) => e.name === 'cursor'))
              failures.push(`${label} -> 400 not naming cursor`);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  });

  describe('with a live-stream client that stops reading', () => {
    const ZONES = 600; // x 4 sensors: each poll sends ~2,400 changed windows, about half a megabyte
    let pool: pg.Pool;
    let api: Api | undefined;
    let url = '';
    const logLines: { msg?: string; bufferedBytes?: number }[] = [];

    beforeAll(async () => {
      const logger = createLogger({
        service: 'test',
        level: 'warn',
        destination: {
          write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[0]),
        },
      });
      ({ api, url } = await startTestApi(
        {
          DATABASE_URL: db.url,
          API_SSE_MAX_CLIENTS: '1',
          API_SSE_MAX_BUFFER: '65536',
          API_SSE_POLL: '100ms',
        },
        { logger },
      ));
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
      // What the processor would have stored: one device per zone, the latest 5 m window of each sensor.
      await pool.query(
        `INSERT INTO devices (device_id, site_id, zone_id, first_seen_at, last_seen_at)
         SELECT 'dev-' || i, 'site-slow', 'zone-' || i, now(), now() FROM generate_series(1, $1) i`,
        [ZONES],
      );
      await pool.query(
        `INSERT INTO window_aggregates (window_seconds, site_id, zone_id, sensor_type, window_start, sample_count,
                                        value_sum, value_sum_sq, value_min, value_max)
         SELECT 300, 'site-slow', 'zone-' || i, s, date_bin('5 minutes', now(), timestamptz 'epoch'), 1, 1, 1, 1, 1
           FROM generate_series(1, $1) i CROSS JOIN unnest(ARRAY['co2','temperature','humidity','occupancy']) s`,
        [ZONES],
      );
    });
    afterAll(async () => {
      await api?.stop();
      await pool?.end();
    });

    it('cuts the connection, frees its slot and logs once, while the client still reads nothing', async () => {
      const linesBefore = logLines.length; // start-up's own warnings are not this test's
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.pause(); // never reads: the kernel buffers fill, then the server's
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\n\r\n');

      // Busy windows: every poll finds all of them changed and sends them to the stream.
      let touching = true;
      const touch = (async () => {
        while (touching) {
          await pool.query(
            `UPDATE window_aggregates SET updated_at = clock_timestamp(), sample_count = sample_count + 1`,
          );
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      try {
        const streams = async (): Promise<number> => {
          const text = await (await fetch(`${url}/metrics`)).text();
          return Number(/^telemetry_api_sse_clients (\d+)/m.exec(text)?.[1] ?? NaN);
        };
        await waitFor(
          'the slow client counted',
          async () => ((await streams()) === 1 ? true : undefined),
          10_000,
        );
        // The slot comes back while the client has still read nothing: a new stream is admitted.
        await waitFor(
          'the slow client dropped',
          async () => ((await streams()) === 0 ? true : undefined),
          60_000,
        );
        const next = await fetch(`${url}/api/v1/stream`);
        expect(next.status).toBe(200);
        await next.body?.cancel();
      } finally {
        touching = false;
        await touch;
      }
      // One line for the whole episode, and nothing else at warn or above (no "response failed" echo).
      const slow = logLines.filter((l) => l.msg === 'live client too slow; disconnected');
      expect(logLines.slice(linesBefore).map((l) => l.msg)).toEqual(['live client too slow; disconnected']);
      expect(slow[0]?.bufferedBytes).toBeGreaterThan(65_536);

      // The server closed the connection instead of finishing the response: reading what is left, the
      // client finds no end of the chunked body, and the socket closes.
      let tail = '';
      socket.on('data', (d: Buffer) => (tail = (tail + d.toString('latin1')).slice(-16)));
      socket.resume();
      await waitFor('the socket closed', async () => (closed ? true : undefined), 20_000);
      expect(tail.endsWith('0\r\n\r\n')).toBe(false);
    }, 90_000);
  });

  describe('with API_READ_AUTH=true, for a browser', () => {
    const KEY = 'edge-read-key-0123456789';
    let api: Api | undefined;
    let url = '';

    beforeAll(async () => {
      ({ api, url } = await startTestApi({
        DATABASE_URL: db.url,
        API_READ_AUTH: 'true',
        API_KEYS: `wall:${hashApiKey(KEY)}`,
      }));
    });
    afterAll(async () => {
      await api?.stop();
    });

    it('opens the live stream with a short-lived token instead of the key header', async () => {
      expect((await get(url, '/api/v1/stream')).status).toBe(401);
      expect((await fetch(`${url}/api/v1/stream/token`, { method: 'POST' })).status).toBe(401);

      const minted = await fetch(`${url}/api/v1/stream/token`, {
        method: 'POST',
        headers: { 'x-api-key': KEY },
      });
      expect(minted.status).toBe(200);
      const { token, expires_at } = contract.streamTokenSchema.parse(await minted.json());
      const ttl = Date.parse(expires_at) - Date.now();
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(61_000);

      const stream = await fetch(`${url}/api/v1/stream?token=${encodeURIComponent(token)}`);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await stream.body?.cancel();

      // Tampered or foreign tokens are refused; a token opens the stream only, never a read.
      const [exp, sig] = token.split('.') as [string, string];
      for (const bad of [`${Number(exp) + 600}.${sig}.wall`, 'nope']) {
        const r = await get(url, `/api/v1/stream?token=${encodeURIComponent(bad)}`);
        expect({ bad, status: r.status, type: r.type }).toEqual({
          bad,
          status: 403,
          type: 'application/problem+json',
        });
      }
      expect((await get(url, `/api/v1/sites?token=${encodeURIComponent(token)}`)).status).toBe(401);
    });
  });
});

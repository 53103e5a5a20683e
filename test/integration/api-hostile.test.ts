import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { hashApiKey, type Api } from '@telemetry-pulse/api';
import { startTestApi } from '../support/api';
import { createScratchDatabase, type ScratchDatabase } from '../support/infra';

const KEY = 'hostile-key-0123456789abcdef';

/** Values that have broken other APIs: SQL, NoSQL and shell metacharacters, huge and odd numbers, NULs. */
const HOSTILE = [
  "' OR '1'='1",
  "'; DROP TABLE raw_events; --",
  '1; SELECT pg_sleep(10)',
  '%00',
  '\u0000',
  '1e309',
  '-1e309',
  '99999999999999999999999999999',
  '-99999999999999999999999999999',
  'NaN',
  '-0',
  '0x7fffffff',
  '{"$gt":""}',
  '[]',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '9999-99-99T99:99:99Z',
  '2026-02-30T00:00:00Z',
  'x'.repeat(5_000),
  '',
];

interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header';
}
interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: OpenApiParameter[];
        requestBody?: unknown;
        responses?: Record<string, { content?: Record<string, unknown> }>;
      }
    >
  >;
}

/**
 * Hostile input at the API (issue 8, scenario 9), on the real server and database: every parameter of
 * every documented route with every hostile value gets a 2xx/4xx with a problem document, never a 5xx;
 * oversized bodies get 413, bursts 429, bad or missing keys 401/403, and a slow client is cut off.
 */
describe('hostile input at the API (real PostgreSQL)', () => {
  let db: ScratchDatabase;
  let api: Api;
  let url: string;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    db = await createScratchDatabase();
    ({ api, url } = await startTestApi({
      DATABASE_URL: db.url,
      API_KEYS: `ops:${hashApiKey(KEY)}`,
      API_RATE_LIMIT: '0', // the sweep sends thousands of requests; the burst test has its own instance
      API_REQUEST_TIMEOUT: '2s',
      API_BODY_LIMIT: '1024',
    }));
    doc = (await (await fetch(`${url}/openapi.json`)).json()) as OpenApiDocument;
  });

  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  /** One request with node:http (fetch would refuse some of these paths before sending them). */
  function request(
    method: string,
    path: string,
    init: { key?: string; body?: string; base?: string } = {},
  ): Promise<{ status: number; type: string | null; text: string; retryAfter: string | null }> {
    const { port } = new URL(init.base ?? url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: Number(port),
          method,
          path,
          agent: false,
          headers: {
            'x-api-key': init.key ?? KEY,
            ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers['content-type'] ?? null,
              text,
              retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /** The original's routes answer FastAPI's `{"detail": ...}` as their document says, not problem documents. */
  const fastApi = (
    op: { responses?: Record<string, { content?: Record<string, unknown> }> },
    r: { status: number; type: string | null; text: string },
  ) =>
    r.type?.startsWith('application/json') === true &&
    op.responses?.[String(r.status)]?.content?.['application/json'] !== undefined &&
    Object.keys(JSON.parse(r.text) as object).join() === 'detail';

  it('answers every parameter of every route, whatever its value, without a 5xx', async () => {
    const failures: string[] = [];
    let probes = 0;
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        if (template.includes('stream') || template.includes('live')) continue; // SSE: held open by design
        const params = op.parameters ?? [];
        for (const param of params.filter((p) => p.in !== 'header')) {
          for (const value of HOSTILE) {
            const encoded = encodeURIComponent(value);
            let path = template.replace(/\{[^}]+\}/g, '1');
            if (param.in === 'path')
              path = template.replace(`{${param.name}}`, encoded).replace(/\{[^}]+\}/g, '1');
            else path += `?${param.name}=${encoded}`;
            const r = await request(method.toUpperCase(), path, {
              ...(op.requestBody ? { body: '{}' } : {}),
            });
            probes += 1;
            if (r.status >= 500)
              failures.push(
                `${method.toUpperCase()} ${path.slice(0, 120)} -> ${r.status} ${r.text.slice(0, 200)}`,
              );
            else if (r.status >= 400 && r.type !== 'application/problem+json' && !fastApi(op, r))
              failures.push(`${method.toUpperCase()} ${path.slice(0, 120)} -> ${r.status} with ${r.type}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(probes).toBeGreaterThan(200); // the document really listed the routes' parameters
  });

  it('refuses an oversized body with 413 and a malformed one with 400', async () => {
    const big = await request('POST', '/api/v1/alerts/1/acknowledge', {
      body: JSON.stringify({ by: 'x'.repeat(4_096) }),
    });
    expect(big.status).toBe(413);
    expect(big.type).toBe('application/problem+json');
    const bad = await request('POST', '/api/v1/alerts/1/acknowledge', {
      body: '{"by":',
    });
    expect(bad.status).toBe(400);
    expect(bad.type).toBe('application/problem+json');
  });

  it('answers missing and wrong keys with 401 and 403', async () => {
    const missing = await fetch(new URL('/api/v1/alerts/1/acknowledge', url), { method: 'POST' });
    expect(missing.status).toBe(401);
    await missing.arrayBuffer();
    // (Not `${KEY} `: HTTP strips the whitespace around a header value, so that is the right key.)
    for (const key of ['wrong', "' OR '1'='1", 'x'.repeat(10_000), KEY.slice(0, -1), `${KEY}0`]) {
      const r = await request('POST', '/api/v1/alerts/1/acknowledge', { key });
      expect({ key: key.slice(0, 20), status: r.status }).toEqual({ key: key.slice(0, 20), status: 403 });
    }
  });

  it('answers a burst from one client with 429 and Retry-After, then lets it back in', async () => {
    const limited = await startTestApi({
      DATABASE_URL: db.url,
      API_KEYS: `ops:${hashApiKey(KEY)}`,
      API_RATE_LIMIT: '5',
      API_RATE_BURST: '10',
    });
    try {
      const base = limited.url;
      const statuses = await Promise.all(
        Array.from({ length: 40 }, () => request('GET', '/api/v1/sites', { base })),
      );
      const refused = statuses.filter((s) => s.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s.status === 200).length).toBeGreaterThanOrEqual(10);
      expect(refused[0]?.type).toBe('application/problem+json');
      expect(Number(refused[0]?.retryAfter)).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await request('GET', '/api/v1/sites', { base })).status).toBe(200);
    } finally {
      await limited.api.stop();
    }
  });

  it('cuts off a slowloris client that never finishes its headers', async () => {
    const { port } = new URL(url);
    const started = Date.now();
    const closed = await new Promise<{ ms: number; answer: string }>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      let drip: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write('GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\n');
        let n = 0;
        // One header byte a second, never the blank line that ends the headers (bounded: 30 bytes).
        drip = setInterval(() => {
          if ((n += 1) > 30) clearInterval(drip);
          else socket.write('X');
        }, 1_000);
      });
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ ms: Date.now() - started, answer });
      });
      socket.on('error', () => undefined);
      const giveUp = setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept the slow connection open for 40 s'));
      }, 40_000);
      socket.on('close', () => clearTimeout(giveUp));
    });
    // API_REQUEST_TIMEOUT is 2 s; Node checks it every few seconds (connectionsCheckingInterval).
    expect(closed.ms).toBeLessThan(15_000);
    expect(closed.answer).toMatch(/^HTTP\/1\.1 408|^$/);
    // The server still answers everyone else.
    expect((await fetch(new URL('/healthz', url))).status).toBe(200);
  });
});

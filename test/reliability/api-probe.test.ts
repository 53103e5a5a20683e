import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { probe } from '../support/reliability/api-probe';

/**
 * The soak's API probe (scripts/bench/http-load.ts in a child process) against a loopback server whose
 * latency the test controls: it must count a stall in every request the stall delayed (open loop, from
 * each request's due time), count failures, and refuse bad arguments clearly.
 */
const HTTP_LOAD = path.join(__dirname, '..', '..', 'scripts', 'bench', 'http-load.ts');
const execFileAsync = promisify(execFile);

describe('API probe (scripts/bench/http-load.ts)', () => {
  let server: http.Server;
  let port: number;
  /** What the next request does: answer at once, after a busy-wait stall of the whole process, or fail. */
  let behaviour: (n: number) => 'ok' | 'stall' | 'fail' = () => 'ok';
  let served = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/slow') {
        // 40 ms without blocking the process: only this path is slow
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}'), 40);
        return;
      }
      const b = behaviour((served += 1));
      if (b === 'stall') {
        const until = Date.now() + 300;
        while (Date.now() < until); // the event loop stops, as a starved server would
      }
      res.writeHead(b === 'fail' ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{"items":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => {
    served = 0;
    behaviour = () => 'ok';
  });

  it('measures a fast server as fast, with no errors', async () => {
    const r = await probe(port, ['/a', '/b'], 100, 2);
    expect(r.errors).toBe(0);
    expect(r.requests).toBe(200);
    expect(served).toBe(200);
    expect(r.p50).toBeLessThan(50);
  }, 30_000);

  it('counts one 300 ms stall in every request it delayed, not only the one it answered', async () => {
    // At 100 req/s, a 300 ms stall delays about 30 requests: 15 % of 200, well past the 99th percentile.
    behaviour = (n) => (n === 60 ? 'stall' : 'ok');
    const r = await probe(port, ['/a'], 100, 2);
    expect(r.errors).toBe(0);
    expect(r.p99).toBeGreaterThan(200);
    expect(r.p50).toBeLessThan(r.p99);
  }, 30_000);

  it('gives each route of the rotation its own p99, so the slow one is named', async () => {
    const r = await probe(port, ['/a', '/slow'], 100, 2);
    expect(r.errors).toBe(0);
    expect(r.routeP99).toHaveLength(2);
    expect(r.routeP99[1]).toBeGreaterThanOrEqual(40);
    expect(r.routeP99[0]).toBeLessThan(r.routeP99[1] ?? 0);
  }, 30_000);

  it('counts answers other than 200 as errors', async () => {
    behaviour = (n) => (n % 4 === 0 ? 'fail' : 'ok');
    const r = await probe(port, ['/a'], 100, 1);
    expect(r.errors).toBe(25);
  }, 30_000);

  it.each([
    [['--path', '/'], '--origin is required'],
    [['--origin', 'nope', '--path', '/'], "--origin must be a URL, got 'nope'"],
    [['--origin', 'http://127.0.0.1:1'], 'at least one --path is required'],
    [
      ['--origin', 'http://127.0.0.1:1', '--path', '/', '--rate', '0'],
      '--rate must be a positive whole number',
    ],
    [['--origin', 'http://127.0.0.1:1', '--path', '/', '--duration', '5'], '--duration must be like 500ms'],
    [['--origin', 'http://127.0.0.1:1', '--path', '/', '--pacing', 'bursty'], '--pacing must be one of even'],
  ])('refuses %j with exit code 2 and says why', async (args, message) => {
    const err = await execFileAsync(process.execPath, [
      '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
      HTTP_LOAD,
      ...args,
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain(message);
  });

  it('prints its options with --help', async () => {
    const { stdout } = await execFileAsync(process.execPath, [
      '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
      HTTP_LOAD,
      '--help',
    ]);
    expect(stdout).toMatch(/^Usage: node scripts\/bench\/http-load\.ts/);
    expect(stdout).toContain('--connections N');
  });
});

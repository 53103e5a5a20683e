// npm run bench:ingest: HTTP ingest against Kafka itself, in one run on one machine.
//
// 1. raw: kafkajs producer loop (idempotent, acks=all, one send in flight, as the shared producer adapter
//    is configured) sending --batch readings per send, back to back, for --duration: the ceiling.
// 2. batch: POST /api/v1/readings with --batch readings per request (JSON arrays) from --connections
//    keep-alive connections, each sending its next request when the previous one is answered, for
//    --duration: readings/s the API accepted (every answer is sent only after Kafka acknowledged).
// 3. single: POST /ingest, one reading per request, evenly paced at --single-rate (open loop: latency
//    from each request's due time, so a stall counts in every request it delayed), for --duration.
//
// The API runs as its own process (compiled, as in production); the load runs in this one. No processor:
// the figures are what ingest costs up to Kafka's acknowledgement.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT,
  cpuSeconds,
  freePort,
  kafka,
  scratchDatabase,
  sleep,
  stopChild,
  uid,
  waitOk,
} from './common.ts';
import { durationMs, fmt, percentile } from './figures.ts';

const HELP = `Usage: npm run bench:ingest -- [options]

  --duration D       measured time of each phase (default 15s)
  --warmup D         unmeasured time before each phase (default 3s)
  --batch N          readings per raw send and per POST /api/v1/readings (default 500)
  --connections N    concurrent batch requests, as gateways sending at once (default 8)
  --single-rate N    POST /ingest requests/s (default 500)
  --partitions N     partitions of the scratch topic (default 6)`;

const KEY = 'bench-ingest-key-0123456789abcdef';

interface Reading {
  event_id?: string;
  device_id: string;
  site_id: string;
  zone_id: string;
  sensor_type: string;
  value: number;
  ts_event?: string;
  schema_version: number;
}

const SENSOR_TYPES = ['co2', 'temperature', 'humidity', 'occupancy'] as const;
const VALUES = [612.5, 21.5, 45, 12] as const;

function reading(i: number, now: number): Reading {
  return {
    event_id: randomUUID(),
    device_id: `bench-dev-${i % 300}`,
    site_id: `site-${i % 3}`,
    zone_id: `site-${i % 3}-zone-${i % 15}`,
    sensor_type: SENSOR_TYPES[i % 4] ?? 'co2',
    value: VALUES[i % 4] ?? 0,
    ts_event: new Date(now - (i % 1000)).toISOString(),
    schema_version: 1,
  };
}

async function rawLoop(topic: string, batch: number, seconds: number): Promise<{ eventsPerSec: number }> {
  const producer = kafka('bench-ingest-raw').producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const now = Date.now();
  // Serialised once, as a device or gateway would hand them over: the loop measures the producer.
  const batches = Array.from({ length: 20 }, (_, b) =>
    Array.from({ length: batch }, (_, i) => {
      const r = reading(b * batch + i, now);
      return { key: r.device_id, value: JSON.stringify(r) };
    }),
  );
  const run = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let sent = 0;
    for (let i = 0; performance.now() < end; i += 1) {
      await producer.send({ topic, acks: -1, messages: batches[i % batches.length] ?? [] });
      sent += batch;
    }
    return sent;
  };
  await run(2000);
  const t0 = performance.now();
  const sent = await run(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return { eventsPerSec: sent / elapsed };
}

function post(
  agent: http.Agent,
  port: number,
  p: string,
  body: string,
): Promise<{ status: number | undefined; text: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: p,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': KEY,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

async function batchLoad(port: number, batch: number, connections: number, seconds: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const now = Date.now();
  const bodies = Array.from({ length: 40 }, (_, b) =>
    JSON.stringify(Array.from({ length: batch }, (_, i) => reading(b * batch + i, now))),
  );
  const run = async (ms: number) => {
    const end = performance.now() + ms;
    let accepted = 0;
    let failed = 0;
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        for (let i = c; performance.now() < end; i += connections) {
          const t = performance.now();
          const res = await post(agent, port, '/api/v1/readings', bodies[i % bodies.length] ?? '[]');
          latencies.push(performance.now() - t);
          if (res.status === 200)
            accepted += (JSON.parse(res.text) as { accepted: unknown[] }).accepted.length;
          else failed += 1;
        }
      }),
    );
    return { accepted, failed, latencies };
  };
  await run(3000);
  const t0 = performance.now();
  const r = await run(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  r.latencies.sort((a, b) => a - b);
  return {
    eventsPerSec: r.accepted / elapsed,
    requests: r.latencies.length,
    failed: r.failed,
    p50: percentile(r.latencies, 50),
    p99: percentile(r.latencies, 99),
  };
}

async function singleLoad(port: number, rate: number, seconds: number, warmupS: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const run = async (s: number) => {
    const total = Math.round(s * rate);
    const latencies: number[] = [];
    let failed = 0;
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const r = reading(i, Date.now());
      delete r.event_id; // as the original's clients sent it: the API assigns one
      delete r.ts_event;
      pending.push(
        post(agent, port, '/ingest', JSON.stringify(r)).then((res) => {
          latencies.push(performance.now() - due);
          if (res.status !== 201) failed += 1;
        }),
      );
    }
    await Promise.all(pending);
    latencies.sort((a, b) => a - b);
    return {
      rate: total / s,
      failed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1),
    };
  };
  await run(warmupS);
  const result = await run(seconds);
  agent.destroy();
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '15s' },
      warmup: { type: 'string', default: '3s' },
      batch: { type: 'string', default: '500' },
      connections: { type: 'string', default: '8' },
      'single-rate': { type: 'string', default: '500' },
      partitions: { type: 'string', default: '6' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`${HELP}\n`);
  const seconds = durationMs(values.duration) / 1000;
  const warmupS = durationMs(values.warmup) / 1000;
  const batch = Number(values.batch);
  const connections = Number(values.connections);
  const singleRate = Number(values['single-rate']);
  const topic = uid('bench.ingest');
  const admin = kafka('bench-ingest').admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: Number(values.partitions) }],
    waitForLeaders: true,
  });
  const db = await scratchDatabase();
  const port = await freePort();
  const profileDir = process.env['BENCH_INGEST_PROFILE'];
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const api = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'services/api/dist/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      PROCESSOR_TOPIC: topic,
      API_INGEST_KEYS: `bench:${createHash('sha256').update(KEY).digest('hex')}`,
      API_INGEST_RATE_LIMIT: '0',
      API_INGEST_MAX_BYTES: String(64 * 1024 * 1024),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitOk(`http://127.0.0.1:${port}/health/live`);
    const load = () =>
      os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
    process.stderr.write(`load average before: ${load()}\n`);
    const raw = await rawLoop(topic, batch, seconds);
    process.stderr.write(`raw producer loop: ${fmt(raw.eventsPerSec)} readings/s\n`);
    const apiPid = api.pid ?? 0;
    const cpu0 = cpuSeconds(apiPid);
    const viaApi = await batchLoad(port, batch, connections, seconds);
    const apiCpu = cpuSeconds(apiPid) - cpu0;
    process.stderr.write(`POST /api/v1/readings: ${fmt(viaApi.eventsPerSec)} readings/s\n`);
    const single = await singleLoad(port, singleRate, seconds, warmupS);
    const result = {
      date: new Date().toISOString(),
      cpus: os.cpus().length,
      loadAverage: load(),
      batch,
      connections,
      raw,
      batchIngest: { ...viaApi, ratioToRaw: viaApi.eventsPerSec / raw.eventsPerSec, apiCpuSeconds: apiCpu },
      singleIngest: single,
      goals: {
        batchAtLeastHalfRaw: viaApi.eventsPerSec >= 0.5 * raw.eventsPerSec,
        batchAtLeast20k: viaApi.eventsPerSec >= 20_000,
        singleP99AtMost20ms: single.p99 <= 20,
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopChild(api);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

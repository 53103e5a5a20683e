#!/usr/bin/env node
'use strict';
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
const { spawn } = require('node:child_process');
const { randomUUID, createHash } = require('node:crypto');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Kafka, logLevel } = require('kafkajs');
const {
  ROOT,
  BROKERS,
  uid,
  sleep,
  fmt,
  scratchDatabase,
  freePort,
  durationMs,
  waitOk,
  stopChild,
  percentile,
  cpuSeconds,
} = require('./common');

const HELP = `Usage: npm run bench:ingest -- [options]

  --duration D       measured time of each phase (default 15s)
  --warmup D         unmeasured time before each phase (default 3s)
  --batch N          readings per raw send and per POST /api/v1/readings (default 500)
  --connections N    concurrent batch requests, as gateways sending at once (default 8)
  --single-rate N    POST /ingest requests/s (default 500)
  --partitions N     partitions of the scratch topic (default 6)`;

const KEY = 'bench-ingest-key-0123456789abcdef';

function reading(i, now) {
  return {
    event_id: randomUUID(),
    device_id: `bench-dev-${i % 300}`,
    site_id: `site-${i % 3}`,
    zone_id: `site-${i % 3}-zone-${i % 15}`,
    sensor_type: ['co2', 'temperature', 'humidity', 'occupancy'][i % 4],
    value: [612.5, 21.5, 45, 12][i % 4],
    ts_event: new Date(now - (i % 1000)).toISOString(),
    schema_version: 1,
  };
}

async function rawLoop(topic, batch, seconds) {
  const producer = new Kafka({
    clientId: 'bench-ingest-raw',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
  }).producer({
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
  const run = async (ms) => {
    const end = performance.now() + ms;
    let sent = 0;
    for (let i = 0; performance.now() < end; i += 1) {
      await producer.send({ topic, acks: -1, messages: batches[i % batches.length] });
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

function post(agent, port, p, body) {
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
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

async function batchLoad(port, batch, connections, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const now = Date.now();
  const bodies = Array.from({ length: 40 }, (_, b) =>
    JSON.stringify(Array.from({ length: batch }, (_, i) => reading(b * batch + i, now))),
  );
  const run = async (ms) => {
    const end = performance.now() + ms;
    let accepted = 0;
    let failed = 0;
    const latencies = [];
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        for (let i = c; performance.now() < end; i += connections) {
          const t = performance.now();
          const res = await post(agent, port, '/api/v1/readings', bodies[i % bodies.length]);
          latencies.push(performance.now() - t);
          if (res.status === 200) accepted += JSON.parse(res.text).accepted.length;
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

async function singleLoad(port, rate, seconds, warmupS) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const run = async (s) => {
    const total = Math.round(s * rate);
    const latencies = [];
    let failed = 0;
    const t0 = performance.now();
    const pending = [];
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

async function main() {
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
  const admin = new Kafka({ clientId: 'bench-ingest', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: Number(values.partitions) }],
    waitForLeaders: true,
  });
  const db = await scratchDatabase();
  const port = await freePort();
  const nodeArgs = process.env.BENCH_INGEST_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_INGEST_PROFILE}`]
    : [];
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
    const cpu0 = cpuSeconds(api.pid);
    const viaApi = await batchLoad(port, batch, connections, seconds);
    const apiCpu = cpuSeconds(api.pid) - cpu0;
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

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});

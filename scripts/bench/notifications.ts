// npm run bench:notifications: how long an alert transition takes to reach a person's receiver while the
// processor carries the soak's load (issue 21, item 6), on the real local broker and database:
//   0. the soak's rate: half the processor's drain rate, measured on a backlog of plain readings (or --rate),
//   1. readings at that rate for --duration, with a probe every --probe-every that opens or resolves a
//      co2-high alert; latency from the transition's transaction, and from the probe's produce, to a local
//      signed-webhook receiver (and to Alertmanager's answer, when Debian's is installed),
//   2. 10,000 alerts opened in one transaction while the readings go on: each channel's drain rate.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Message, Producer } from 'kafkajs';
import pg from 'pg';
import { filterKafkajsNegativeTimeoutWarning } from '../../services/shared/src/kafka/negative-timeout-warning.ts';
import {
  applied,
  freePort,
  kafka,
  migrateDatabase,
  rssMiB,
  scratchDatabase,
  sleep,
  spawnProcessor,
  stopChild,
  uid,
  waitOk,
  withAdmin,
} from './common.ts';
import { durationMs, fmt } from './figures.ts';
import {
  describeLatencies,
  matchProbes,
  perSecond,
  probeAt,
  probeReadings,
  type ProbeLatencies,
  type RecordedTransition,
  type SentProbe,
} from './notification-probes.ts';
import { startAlertmanager, startWebhookSink, type WebhookSink } from './notification-receivers.ts';

const HELP = `Usage: npm run bench:notifications -- [--duration 2m] [--rate N] [--backlog 200000]
                                   [--probe-every 2s] [--burst 10000] [--poll-interval 500ms]
                                   [--serial-hook]

  --duration       length of phase 1, readings at the soak's rate with probes among them (default 2m)
  --rate           readings/s in the background (default: half the processor's drain rate of --backlog,
                   measured first, as bench:processor's soak does)
  --backlog        plain readings the drain rate is measured on (default 200000; ignored with --rate)
  --probe-every    time between probes; they alternate between opening a co2-high alert on a new device
                   and resolving it (default 2s: 60 probes in 2m, so p99 is
                   nearly the max)
  --burst          alerts opened in one transaction in phase 2, once with the readings going on, then
                   again once they stopped and were applied (default 10000; 0 skips phase 2)
  --poll-interval  the notifications configuration's poll_interval (default: the processor's, 500ms)
  --serial-hook    also a second signed webhook channel, hook-serial, with max_in_flight 1 (one request at
                   a time) to a receiver of its own: both dispatchers side by side under the same load

A webhook channel signed with a secret (max_in_flight: the default, 8) posts to a receiver on 127.0.0.1; an
Alertmanager channel is added when ${'/usr/bin/prometheus-alertmanager'} (or ALERTMANAGER_BIN) exists. All
route co2-high only.`;

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '2m' },
    rate: { type: 'string' },
    backlog: { type: 'string', default: '200000' },
    'probe-every': { type: 'string', default: '2s' },
    burst: { type: 'string', default: '10000' },
    'poll-interval': { type: 'string' },
    'serial-hook': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
filterKafkajsNegativeTimeoutWarning(); // kafkajs's harmless warning on Node 24, as the services filter it
const phase1Ms = durationMs(args.duration);
const probeEveryMs = durationMs(args['probe-every']);
const backlog = Number(args.backlog);
const burst = Number(args.burst);
const fixedRate = args.rate === undefined ? undefined : Number(args.rate);
for (const [name, v] of Object.entries({ backlog, burst, rate: fixedRate ?? 1 }))
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
const SECRET = randomUUID(); // the webhook's HMAC key, handed to the processor as HOOK_SECRET
const DEVICES = 45; // background devices, as in bench:processor's soak
const log = (msg: string): void => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${msg}`);

/** One background co2 reading of device `bg-<d>`, dated now, well inside the comfort band. */
function backgroundMessage(n: number, nowMs: number): Message {
  const d = n % DEVICES;
  return {
    key: `bg-${d}`,
    value: JSON.stringify({
      event_id: randomUUID(),
      device_id: `bg-${d}`,
      site_id: `site-${d % 3}`,
      zone_id: `zone-${d % 15}`,
      sensor_type: 'co2',
      value: 450 + (n % 300),
      ts_event: new Date(nowMs).toISOString(),
    }),
  };
}

/** `total` background readings sent as fast as the broker takes them, for the drain measurement. */
async function produceBacklog(producer: Producer, topic: string, total: number): Promise<void> {
  const now = Date.now();
  for (let sent = 0; sent < total;) {
    const n = Math.min(5_000, total - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => backgroundMessage(sent + i, now)),
    });
    sent += n;
  }
}

interface Background {
  sent(): number;
  /** Stops the readings; resolves with how many were sent and the rate they went at. */
  stop(): Promise<{ sent: number; rate: number }>;
}

/** Background readings at `rate`/s in 100 ms ticks until stopped (a tick that runs late is not made up). */
function startBackground(producer: Producer, topic: string, rate: number): Background {
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const started = Date.now();
  let sent = 0;
  let stopping = false;
  const loop = (async () => {
    for (let tick = 0; !stopping; tick += 1) {
      const due = started + tick * tickMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const now = Date.now();
      const messages = Array.from({ length: perTick }, (_, i) => backgroundMessage(sent + i, now));
      await producer.send({ topic, messages });
      sent += messages.length;
    }
  })();
  return {
    sent: () => sent,
    async stop() {
      stopping = true;
      await loop;
      return { sent, rate: perSecond(sent, started, Date.now()) };
    },
  };
}

/** Phase 1's probes: one every `everyMs` for `ms`, each produced on its own (the readings go on meanwhile). */
async function sendProbes(
  producer: Producer,
  topic: string,
  ms: number,
  everyMs: number,
): Promise<SentProbe[]> {
  const sent: SentProbe[] = [];
  const started = Date.now();
  for (let tick = 0; tick * everyMs < ms; tick += 1) {
    const due = started + tick * everyMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const probe = probeAt(tick);
    const producedMs = Date.now();
    await producer.send({
      topic,
      messages: probeReadings(probe, producedMs).map((r) => ({
        key: probe.device,
        value: JSON.stringify({
          event_id: randomUUID(),
          device_id: probe.device,
          site_id: 'site-probe',
          zone_id: 'zone-probe',
          sensor_type: 'co2',
          value: r.value,
          ts_event: new Date(r.tsEventMs).toISOString(),
        }),
      })),
    });
    sent.push({ ...probe, producedMs });
    if (tick % 6 === 5) log(`probes: ${sent.length} sent, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return sent;
}

/** Messages in `topic` so far, all partitions. */
async function topicSize(topic: string): Promise<number> {
  const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/** Waits until `done()` or `timeoutMs`; returns whether it became true. */
async function waitUntil(done: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return true;
}

/** The probes' devices' transitions as PostgreSQL recorded them. */
async function probeTransitions(pool: pg.Pool): Promise<RecordedTransition[]> {
  const { rows } = await pool.query<{ id: string; device: string; kind: string; created_ms: number }>(
    `SELECT transition_id::text AS id, alert->>'device_id' AS device, kind,
            (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
       FROM notification_transitions WHERE alert->>'device_id' LIKE 'probe-%' ORDER BY transition_id`,
  );
  return rows.map((r) => ({ transitionId: r.id, device: r.device, kind: r.kind, createdMs: r.created_ms }));
}

/** Per channel: how many of some devices' transitions it delivered, and transaction -> delivered_at. */
interface ChannelFigures {
  channel: string;
  delivered: number;
  /** transaction of the transition -> delivered_at, ms ascending */
  latencies: number[];
  lastDeliveredMs: number;
}

/** Each channel's delivered deliveries of the transitions of devices LIKE `devicePattern`. */
async function channelFigures(pool: pg.Pool, devicePattern: string): Promise<ChannelFigures[]> {
  const { rows } = await pool.query<{ channel: string; latency_ms: number; delivered_ms: number }>(
    `SELECT d.channel, (extract(epoch FROM d.delivered_at - t.created_at) * 1000)::float8 AS latency_ms,
            (extract(epoch FROM d.delivered_at) * 1000)::float8 AS delivered_ms
       FROM notification_deliveries d JOIN notification_transitions t USING (transition_id)
      WHERE d.status = 'delivered' AND t.alert->>'device_id' LIKE $1
      ORDER BY d.channel, latency_ms`,
    [devicePattern],
  );
  const byChannel = new Map<string, ChannelFigures>();
  for (const r of rows) {
    const c = byChannel.get(r.channel) ?? {
      channel: r.channel,
      delivered: 0,
      latencies: [],
      lastDeliveredMs: 0,
    };
    c.delivered += 1;
    c.latencies.push(r.latency_ms);
    c.lastDeliveredMs = Math.max(c.lastDeliveredMs, r.delivered_ms);
    byChannel.set(r.channel, c);
  }
  return [...byChannel.values()];
}

/** Each channel's count of delivered deliveries of devices LIKE `devicePattern` (cheap, for polling). */
async function deliveredCounts(pool: pg.Pool, devicePattern: string): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ channel: string; n: number }>(
    `SELECT d.channel, count(*)::int AS n
       FROM notification_deliveries d JOIN notification_transitions t USING (transition_id)
      WHERE d.status = 'delivered' AND t.alert->>'device_id' LIKE $1 GROUP BY d.channel`,
    [devicePattern],
  );
  return new Map(rows.map((r) => [r.channel, r.n]));
}

interface BurstFigures {
  alerts: number;
  insertS: number;
  webhook: { received: number; rate: number; lastS: number };
  channels: { channel: string; delivered: number; rate: number }[];
  drained: boolean;
}

/**
 * Phase 2: `n` co2-high alerts opened in one INSERT on devices `<prefix>-1..n` (the trigger records their
 * transitions in it), as test/integration/notifications-burst.test.ts does; each channel's rate from the
 * INSERT's return (its commit) to its last delivery. The webhook's from the receiver's clock, every
 * channel's from delivered_at.
 */
async function runBurst(
  pool: pg.Pool,
  sink: WebhookSink,
  n: number,
  channels: number,
  prefix: string,
): Promise<BurstFigures> {
  const before = Date.now();
  await pool.query(
    `INSERT INTO alerts (rule_id, device_id, site_id, zone_id, sensor_type, severity, status, message, opened_at)
     SELECT 'co2-high', $2 || '-' || i, 'site-' || (i % 5), 'zone-' || (i % 40), 'co2', 'warning', 'open',
            'co2 above 1000 ppm', now() - interval '1 minute'
       FROM generate_series(1, $1::int) AS i`,
    [n, prefix],
  );
  const committedMs = Date.now();
  log(
    `${prefix}: ${fmt(n)} alerts committed in ${((committedMs - before) / 1000).toFixed(1)} s; draining...`,
  );
  const { rows } = await pool.query<{ id: string }>(
    `SELECT transition_id::text AS id FROM notification_transitions WHERE alert->>'device_id' LIKE $1`,
    [`${prefix}-%`],
  );
  const ids = rows.map((r) => r.id);
  const received = (): number => ids.filter((id) => sink.firstArrival.has(id)).length;
  let lastLog = Date.now();
  const drained = await waitUntil(async () => {
    const counts = await deliveredCounts(pool, `${prefix}-%`);
    const done = [...counts.values()].filter((c) => c >= n).length === channels && received() >= n;
    if (Date.now() - lastLog >= 5_000) {
      lastLog = Date.now();
      log(`${prefix}: ${[...counts].map(([c, k]) => `${c} ${fmt(k)}`).join(', ')} delivered`);
    }
    return done;
  }, 300_000);
  const arrivals = ids.map((id) => sink.firstArrival.get(id)).filter((t): t is number => t !== undefined);
  const last = Math.max(...arrivals);
  return {
    alerts: n,
    insertS: (committedMs - before) / 1000,
    webhook: {
      received: arrivals.length,
      rate: perSecond(arrivals.length, committedMs, last),
      lastS: (last - committedMs) / 1000,
    },
    channels: (await channelFigures(pool, `${prefix}-%`)).map((f) => ({
      channel: f.channel,
      delivered: f.delivered,
      rate: perSecond(f.delivered, committedMs, f.lastDeliveredMs),
    })),
    drained,
  };
}

interface Results {
  rate: number;
  drainRate?: number;
  background: { sent: number; rate: number };
  lagAtEndOfPhase1: number;
  probes: ProbeLatencies;
  probeChannels: ChannelFigures[];
  sink: WebhookSink['stats'];
  serialSink?: WebhookSink['stats'];
  rssMaxMiB: number;
  /** the burst with the readings going on, then with them stopped */
  bursts: { label: string; figures: BurstFigures }[];
  alertmanager: boolean;
  loadAverage: [number, number];
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0] ?? NaN; // 1-minute load average: how busy the shared machine was
  const topic = uid('bench.notify');
  await withAdmin((a) =>
    a.createTopics({
      topics: [
        { topic, numPartitions: 6 },
        { topic: `${topic}.dlq`, numPartitions: 1 },
      ],
    }),
  );
  const db = await scratchDatabase();
  migrateDatabase(db.url);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const sink = await startWebhookSink(SECRET);
  const serialSink = args['serial-hook'] ? await startWebhookSink(SECRET) : undefined;
  const am = await startAlertmanager();
  log(am ? `Alertmanager on ${am.url}` : 'no Alertmanager installed: webhook channels only');
  const configDir = await mkdtemp(path.join(os.tmpdir(), 'tp-bench-notify-'));
  const configFile = path.join(configDir, 'notifications.yaml');
  const routes = [{ rules: ['co2-high'] }];
  await writeFile(
    configFile,
    JSON.stringify({
      ...(args['poll-interval'] ? { poll_interval: args['poll-interval'] } : {}),
      channels: [
        { name: 'hook', type: 'webhook', url: sink.url, secret_env: 'HOOK_SECRET', routes },
        ...(serialSink
          ? [
              {
                name: 'hook-serial',
                type: 'webhook',
                url: serialSink.url,
                secret_env: 'HOOK_SECRET',
                max_in_flight: 1,
                routes,
              },
            ]
          : []),
        ...(am ? [{ name: 'am', type: 'alertmanager', url: am.url, resend_interval: '10m', routes }] : []),
      ],
    }),
  );
  const producer = kafka().producer();
  const probeProducer = kafka().producer();
  await Promise.all([producer.connect(), probeProducer.connect()]);
  const group = uid('bench-notify');
  const port = await freePort();
  let child: ReturnType<typeof spawnProcessor> | undefined;
  let background: Background | undefined;
  let results: Results | undefined;
  try {
    let drainRate: number | undefined;
    if (fixedRate === undefined) {
      log(`producing a backlog of ${fmt(backlog)} readings to measure the drain rate...`);
      await produceBacklog(producer, topic, backlog);
    }
    const env = { NOTIFICATIONS_CONFIG: configFile, HOOK_SECRET: SECRET };
    child = spawnProcessor(db.url, topic, group, port, env);
    await waitOk(`http://127.0.0.1:${port}/readyz`);
    const readyMs = Date.now();
    if (fixedRate === undefined) {
      const ok = await waitUntil(async () => (await applied(pool, group, topic)) >= backlog, 600_000);
      if (!ok) throw new Error('the backlog was not drained within 10 min');
      drainRate = perSecond(backlog, readyMs, Date.now());
      log(`drain: ${fmt(drainRate)} readings/s`);
    }
    const rate = fixedRate ?? Math.round((drainRate ?? 0) / 2);
    const pid = child.pid ?? 0;
    let rssMaxMiB = rssMiB(pid);
    const rssTimer = setInterval(() => {
      if (child?.exitCode === null) rssMaxMiB = Math.max(rssMaxMiB, rssMiB(pid)); // an exited one has no /proc entry
    }, 1_000);

    log(
      `phase 1: ${fmt(rate)} readings/s for ${phase1Ms / 1000} s, a probe every ${probeEveryMs / 1000} s...`,
    );
    background = startBackground(producer, topic, rate);
    const channels = 1 + (am ? 1 : 0) + (serialSink ? 1 : 0);
    const sent = await sendProbes(probeProducer, topic, phase1Ms, probeEveryMs);
    const lagAtEndOfPhase1 = (await topicSize(topic)) - (await applied(pool, group, topic));
    const expectArrivals = async (): Promise<boolean> => {
      const recorded = await probeTransitions(pool);
      if (recorded.length < sent.length || !recorded.every((t) => sink.firstArrival.has(t.transitionId)))
        return false;
      // and marked delivered (just after the receiver's answer) on every channel, for delivered_at's figures
      const counts = await deliveredCounts(pool, 'probe-%');
      return counts.size === channels && [...counts.values()].every((n) => n >= recorded.length);
    };
    if (!(await waitUntil(expectArrivals, 60_000))) log('phase 1: not every probe arrived within 60 s');
    const probes = matchProbes(sent, await probeTransitions(pool), sink.firstArrival);
    log(
      `phase 1: ${probes.received}/${probes.sent} probes received; ${describeLatencies(probes.transactionToReceiver)}`,
    );
    const probeChannels = await channelFigures(pool, 'probe-%');

    const bursts: Results['bursts'] = [];
    if (burst > 0) {
      log(`phase 2: ${fmt(burst)} alerts at once, readings going on...`);
      bursts.push({
        label: 'readings going on',
        figures: await runBurst(pool, sink, burst, channels, 'burst'),
      });
    }
    const backgroundFigures = await background.stop();
    if (burst > 0) {
      log(`phase 2 again: ${fmt(burst)} alerts at once, readings stopped...`);
      await waitUntil(async () => (await topicSize(topic)) <= (await applied(pool, group, topic)), 60_000);
      bursts.push({
        label: 'readings stopped',
        figures: await runBurst(pool, sink, burst, channels, 'quiet'),
      });
    }
    clearInterval(rssTimer);
    results = {
      rate,
      ...(drainRate === undefined ? {} : { drainRate }),
      background: backgroundFigures,
      lagAtEndOfPhase1,
      probes,
      probeChannels,
      sink: sink.stats,
      ...(serialSink ? { serialSink: serialSink.stats } : {}),
      rssMaxMiB,
      bursts,
      alertmanager: am !== undefined,
      loadAverage: [loadAtStart, os.loadavg()[0] ?? NaN],
    };
  } finally {
    await background?.stop();
    if (child) await stopChild(child);
    await Promise.all([producer.disconnect(), probeProducer.disconnect()]);
    await pool.end();
    await sink.close();
    await serialSink?.close();
    await am?.stop();
    await db.drop();
    await rm(configDir, { recursive: true, force: true });
    await withAdmin((a) => a.deleteTopics({ topics: [topic, `${topic}.dlq`] })).catch(() => undefined);
  }
  if (results) report(results);
}

function report(r: Results): void {
  const p = r.probes;
  const lines = [
    '',
    `Notification benchmark, ${new Date().toISOString()}, ${os.cpus().length} cores, broker, database and receivers co-located, ` +
      `load average ${r.loadAverage.map((l) => l.toFixed(1)).join(' / ')} (start / end of the run)`,
    r.drainRate === undefined
      ? `rate: ${fmt(r.rate)} readings/s (--rate)`
      : `rate: ${fmt(r.rate)} readings/s, half the processor's drain of ${fmt(backlog)} readings (${fmt(r.drainRate)}/s)`,
    `background: ${fmt(r.background.sent)} readings at ${fmt(r.background.rate)}/s achieved (phases 1 and 2); ` +
      `not yet applied at the end of phase 1: ${fmt(r.lagAtEndOfPhase1)}; processor max RSS ${r.rssMaxMiB.toFixed(0)} MiB`,
    `phase 1 (${args.duration}, a probe every ${args['probe-every']}, poll_interval ${args['poll-interval'] ?? '500ms'}):`,
    `  probes sent ${p.sent}, transitions recorded ${p.recorded}, received at the webhook ${p.received}, ` +
      `missing ${p.missing}, unexpected ${p.unexpected}; webhook requests ${r.sink.requests}, ` +
      `bad signatures ${r.sink.badSignature}, repeats ${r.sink.duplicates}`,
    ...(r.serialSink
      ? [
          `  hook-serial's receiver: requests ${r.serialSink.requests}, bad signatures ${r.serialSink.badSignature}, ` +
            `repeats ${r.serialSink.duplicates}`,
        ]
      : []),
    `  transition's transaction -> webhook receiver: ${describeLatencies(p.transactionToReceiver)}`,
    `  probe's produce -> webhook receiver:          ${describeLatencies(p.produceToReceiver)}`,
    ...r.probeChannels.map(
      (c) =>
        `  transaction -> delivered_at on ${c.channel}: ${describeLatencies(c.latencies)} (${c.delivered} delivered)`,
    ),
  ];
  for (const { label, figures: b } of r.bursts) {
    lines.push(
      `phase 2, ${label}: ${fmt(b.alerts)} alerts opened in one INSERT (${b.insertS.toFixed(1)} s)` +
        (b.drained ? '' : ' - NOT fully drained within 5 min'),
      `  webhook receiver: ${fmt(b.webhook.received)} received, the last ${b.webhook.lastS.toFixed(1)} s after the commit: ` +
        `${fmt(b.webhook.rate)} notifications/s`,
      ...b.channels.map(
        (c) => `  ${c.channel} (delivered_at): ${fmt(c.delivered)} delivered, ${fmt(c.rate)} notifications/s`,
      ),
    );
  }
  if (!r.alertmanager) lines.push('(no Alertmanager channel: prometheus-alertmanager is not installed)');
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Simulator throughput against a raw kafkajs producer loop, in one run, on the real broker.
//
//   npx tsc --build && npm run bench:simulator
//
// Both sides use the same idempotent producer settings (acks=all, one request in flight per broker), the same
// batch size and compression, one batch at the producer at a time, and the same message bytes: the raw loop
// sends messages the simulator's stream generated beforehand, so the difference is the simulator's own work
// (signals, faults, serialisation, run loop). Runs alternate raw/simulator to spread drift over both.
//
// Settings (environment): KAFKA_BROKERS [127.0.0.1:9092], BENCH_COUNT [200000], BENCH_ROUNDS [3],
// BENCH_BATCH_SIZE [simulator default], BENCH_COMPRESSION [none].
// Prints events/s per run and the ratio simulator/raw (target >= 0.8). Figures go to docs/benchmarks.md by hand.
import os from 'node:os';
import {
  benchKafkaClient,
  environmentOnly,
  loadCompiledServices,
  pregenerateMessages,
  produceInBatches,
  type SimulatorConfig,
} from './common.ts';
import { fmt, median } from './figures.ts';

const HELP = `Usage: npm run bench:simulator   (settings in the environment; no arguments)

Simulator throughput against a raw kafkajs producer loop with the same settings and message bytes, in
one run on the real broker, rounds alternating; prints events/s per run, the medians and the ratio
simulator/raw (target >= 0.8).

  KAFKA_BROKERS       broker list (default 127.0.0.1:9092)
  BENCH_COUNT         messages per run (default 200000)
  BENCH_ROUNDS        rounds of raw + simulator (default 3)
  BENCH_BATCH_SIZE    messages per producer batch (default: the simulator's)
  BENCH_COMPRESSION   none, gzip, snappy, lz4 or zstd (default none)`;
environmentOnly('bench:simulator', HELP);

const { shared, simulator } = loadCompiledServices();

const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const count = Number(process.env['BENCH_COUNT'] ?? 200_000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const warmupCount = Math.min(50_000, count);
const runId = `${Date.now().toString(36)}`;
const topics: string[] = [];

const baseArgs = ['--brokers', brokers, '--rate', '0', '--seed', '1', '--log-level', 'warn'];
if (process.env['BENCH_BATCH_SIZE']) baseArgs.push('--batch-size', process.env['BENCH_BATCH_SIZE']);
if (process.env['BENCH_COMPRESSION']) baseArgs.push('--compression', process.env['BENCH_COMPRESSION']);

/** Simulator config for one run on its own fresh topic. */
function configFor(topic: string, n: number): SimulatorConfig {
  const parsed = simulator.parseSimulatorConfig(
    [...baseArgs, '--count', String(n), '--topic', topic, '--dlq-topic', `${topic}.dlq`],
    {},
  );
  if (parsed.help) throw new Error("unreachable: no --help in the benchmark's own arguments");
  return parsed.config;
}

const settings = configFor('bench.settings', count);
const logger = shared.createLogger({ service: 'bench', level: 'error' });
const kafka = benchKafkaClient(shared, settings.kafka, logger);

async function createTopic(topic: string): Promise<void> {
  topics.push(topic, `${topic}.dlq`);
  await shared.ensureTopics(
    kafka,
    [topic, `${topic}.dlq`].map((t) => ({ topic: t, partitions: settings.topics.partitions })),
    logger,
  );
}

/** The exact messages the simulator would send, generated before the clock starts. */
const pregenerate = (n: number): Message[] =>
  pregenerateMessages(simulator, settings, n, (m) => ({ key: m.key, value: m.value }));

interface Message {
  key: string;
  value: Buffer;
}

/** Messages sent in how long. */
interface Run {
  sent: number;
  elapsedMs: number;
}

/** Raw kafkajs: the pre-generated messages in batches, each sent once the previous is acknowledged. */
async function runRaw(topic: string, messages: readonly Message[]): Promise<Run> {
  const { batchSize, compression } = settings.producer;
  const codec = shared.KAFKAJS_COMPRESSION[compression];
  const elapsedMs = await produceInBatches(kafka, topic, messages, batchSize, codec);
  return { sent: messages.length, elapsedMs: Math.round(elapsedMs) }; // whole ms, as the simulator reports
}

/** The simulator in-process, exactly as main.ts wires it, unpaced for `n` messages. */
async function runSimulator(topic: string, n: number): Promise<Run> {
  const config = configFor(topic, n);
  const producer = shared.createKafkaProducer(kafka, {
    idempotent: true,
    compression: config.producer.compression,
  });
  const sim = simulator.createSimulator({
    config,
    producer,
    logger,
    ensureTopics: (specs) => shared.ensureTopics(kafka, specs, logger),
  });
  await sim.start();
  const summary = await sim.done;
  await sim.stop();
  return { sent: summary.sent, elapsedMs: summary.elapsedMs };
}

const perSec = (r: Run): number => Math.round((r.sent * 1000) / r.elapsedMs);

async function deleteTopics(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const { batchSize, compression } = settings.producer;
  console.log(
    `simulator benchmark: ${fmt(count)} messages x ${rounds} rounds, batch ${batchSize}, ` +
      `compression ${compression}, brokers ${brokers}`,
  );
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
  );
  const messages = pregenerate(count);
  const avgBytes = Math.round(messages.reduce((s, m) => s + m.value.length, 0) / messages.length);
  console.log(`message value: ${avgBytes} bytes on average`);

  // Warm-up, not counted: JIT, broker segment creation, producer id allocation.
  await createTopic(`bench.warmup.raw.${runId}`);
  await runRaw(`bench.warmup.raw.${runId}`, messages.slice(0, warmupCount));
  await createTopic(`bench.warmup.sim.${runId}`);
  await runSimulator(`bench.warmup.sim.${runId}`, warmupCount);

  const raw: number[] = [];
  const sim: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const rawTopic = `bench.raw.${runId}.${round}`;
    await createTopic(rawTopic);
    const r = await runRaw(rawTopic, messages);
    raw.push(perSec(r));
    console.log(`round ${round} raw kafkajs: ${fmt(r.sent)} in ${r.elapsedMs} ms = ${fmt(perSec(r))} ev/s`);

    const simTopic = `bench.sim.${runId}.${round}`;
    await createTopic(simTopic);
    const s = await runSimulator(simTopic, count);
    sim.push(perSec(s));
    console.log(`round ${round} simulator:   ${fmt(s.sent)} in ${s.elapsedMs} ms = ${fmt(perSec(s))} ev/s`);
  }
  const rawMedian = median(raw);
  const simMedian = median(sim);
  const ratio = simMedian / rawMedian;
  console.log(
    `median raw ${fmt(rawMedian)} ev/s, simulator ${fmt(simMedian)} ev/s, ratio ${ratio.toFixed(2)} ` +
      `(target >= 0.80: ${ratio >= 0.8 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `best   raw ${fmt(Math.max(...raw))} ev/s, simulator ${fmt(Math.max(...sim))} ev/s, ` +
      `ratio ${(Math.max(...sim) / Math.max(...raw)).toFixed(2)}`,
  );
}

main()
  .then(deleteTopics)
  .catch(async (err: unknown) => {
    console.error(err);
    await deleteTopics().catch(() => undefined);
    process.exitCode = 1;
  });

// kafkajs (what the project uses, behind services/shared/src/kafka/) against @platformatic/kafka (maintained,
// the candidate replacement) on this project's producer and consumer workload, in one run, on the real broker.
//
//   npx tsc --build && npm install --no-save @platformatic/kafka@2 && node scripts/bench/kafka-clients.ts
//
// Produce: the simulator's own messages (generated before the clock starts, ~300 bytes of JSON keyed by device
// id) in batches of the simulator's size, idempotent, acks=all, one batch at the producer at a time, each client
// to its own fresh topic of 6 partitions. Consume: a fresh consumer group reads that topic from the start until
// it has every message (kafkajs eachBatch, as the processor; @platformatic/kafka's stream), decoding nothing.
// Rounds alternate the clients to spread the shared broker's drift over both.
//
// Settings (environment): KAFKA_BROKERS [127.0.0.1:9092], BENCH_COUNT [200000], BENCH_ROUNDS [3],
// BENCH_COMPRESSION [none]. Prints messages/s per run and the medians. Figures go to docs/benchmarks.md by hand.
import os from 'node:os';
import {
  benchKafkaClient,
  environmentOnly,
  load,
  loadCompiledServices,
  messageOf,
  pregenerateMessages,
  produceInBatches,
} from './common.ts';
import { fmt, median } from './figures.ts';

const HELP = `Usage: node scripts/bench/kafka-clients.ts   (settings in the environment; no arguments)

kafkajs against @platformatic/kafka: produce the simulator's messages (idempotent, acks=all, simulator batch
size) and consume them back with a fresh group, rounds alternating; prints messages/s per run and medians.
Needs \`npx tsc --build\` and \`npm install --no-save @platformatic/kafka@2\` (not a project dependency).

  KAFKA_BROKERS       broker list (default 127.0.0.1:9092)
  BENCH_COUNT         messages per run (default 200000)
  BENCH_ROUNDS        rounds of both clients (default 3)
  BENCH_COMPRESSION   none, gzip, snappy, lz4 or zstd (default none)`;
environmentOnly('kafka-clients', HELP);

interface Message {
  key: Buffer;
  value: Buffer;
}

/** What this file uses of @platformatic/kafka (not a project dependency, so no types here). */
interface Platformatic {
  Producer: new (options: {
    clientId: string;
    bootstrapBrokers: string[];
    idempotent: boolean;
    acks: number;
    compression: string;
    autocreateTopics: boolean;
  }) => {
    send(batch: { messages: (Message & { topic: string })[] }): Promise<unknown>;
    close(): Promise<void>;
  };
  Consumer: new (options: { clientId: string; groupId: string; bootstrapBrokers: string[] }) => {
    consume(options: {
      topics: string[];
      mode: 'earliest';
      autocommit: boolean;
    }): Promise<AsyncIterable<unknown> & { close(): Promise<void> }>;
    close(force: boolean): Promise<void>;
  };
}

const { shared, simulator } = loadCompiledServices();
let platformatic: Platformatic;
try {
  platformatic = load('@platformatic/kafka') as Platformatic;
} catch (err) {
  console.error(
    `cannot load @platformatic/kafka (${messageOf(err)}); run \`npm install --no-save @platformatic/kafka@2\``,
  );
  process.exit(2);
}

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const count = Number(process.env['BENCH_COUNT'] ?? 200_000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const compression = process.env['BENCH_COMPRESSION'] ?? 'none';
const runId = Date.now().toString(36);
const PARTITIONS = 6;

const parsed = simulator.parseSimulatorConfig(
  ['--brokers', brokers.join(','), '--compression', compression],
  {},
);
if (parsed.help) throw new Error("unreachable: no --help in the benchmark's own arguments");
const settings = parsed.config;
const batchSize = settings.producer.batchSize;
const logger = shared.createLogger({ service: 'bench', level: 'error' });
const kafka = benchKafkaClient(shared, settings.kafka, logger);
const topics: string[] = [];

async function createTopic(topic: string): Promise<void> {
  topics.push(topic);
  await shared.ensureTopics(kafka, [{ topic, partitions: PARTITIONS }], logger);
}

/** The exact messages the simulator would send, generated before the clock starts. */
const pregenerate = (n: number): Message[] =>
  pregenerateMessages(simulator, settings, n, (m) => ({
    key: Buffer.from(m.key),
    value: Buffer.from(m.value),
  }));

type Client = 'kafkajs' | 'platformatic';
const clients: Record<`${Client}Produce`, (topic: string, messages: readonly Message[]) => Promise<number>> &
  Record<`${Client}Consume`, (topic: string, n: number) => Promise<number>> = {
  async kafkajsProduce(topic, messages) {
    const codec = shared.KAFKAJS_COMPRESSION[compression as keyof typeof shared.KAFKAJS_COMPRESSION];
    return produceInBatches(kafka, topic, messages, batchSize, codec);
  },
  async platformaticProduce(topic, messages) {
    const producer = new platformatic.Producer({
      clientId: 'bench',
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: -1,
      compression,
      autocreateTopics: false,
    });
    const startedMs = performance.now();
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.send({ messages: messages.slice(i, i + batchSize).map((m) => ({ ...m, topic })) });
    }
    const elapsedMs = performance.now() - startedMs;
    await producer.close();
    return elapsedMs;
  },
  async kafkajsConsume(topic, n) {
    const consumer = kafka.consumer({ groupId: `bench.kafkajs.${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let startedMs: number | undefined;
    const done = new Promise<number>((resolve) => {
      void consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          startedMs ??= performance.now();
          seen += batch.messages.length;
          if (seen >= n) resolve(performance.now());
        },
      });
    });
    const endMs = await done;
    await consumer.disconnect();
    return endMs - (startedMs ?? endMs);
  },
  async platformaticConsume(topic, n) {
    const consumer = new platformatic.Consumer({
      clientId: 'bench',
      groupId: `bench.platformatic.${topic}`,
      bootstrapBrokers: brokers,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
    let seen = 0;
    let startedMs: number | undefined;
    for await (const _message of stream) {
      startedMs ??= performance.now();
      seen += 1;
      if (seen >= n) break;
    }
    const elapsedMs = performance.now() - (startedMs ?? performance.now());
    await stream.close();
    await consumer.close(true);
    return elapsedMs;
  },
};

const rate = (ms: number): number => Math.round((count / ms) * 1000);

async function main(): Promise<void> {
  console.log(
    `kafka clients: ${fmt(count)} messages x ${rounds} rounds, batch ${batchSize}, compression ${compression}, ` +
      `${os.cpus().length} CPUs, Node ${process.version}, brokers ${brokers.join(',')}`,
  );
  const messages = pregenerate(count);
  const bytes = messages.reduce((s, m) => s + m.key.length + m.value.length, 0);
  console.log(`message size: ${Math.round(bytes / count)} bytes on average`);
  const results: Record<Client, { produce: number[]; consume: number[] }> = {
    kafkajs: { produce: [], consume: [] },
    platformatic: { produce: [], consume: [] },
  };
  for (let round = 1; round <= rounds; round++) {
    const order: Client[] = round % 2 ? ['kafkajs', 'platformatic'] : ['platformatic', 'kafkajs'];
    for (const name of order) {
      const topic = `bench.clients.${runId}.${name}.${round}`;
      await createTopic(topic);
      const produceMs = await clients[`${name}Produce`](topic, messages);
      const consumeMs = await clients[`${name}Consume`](topic, count);
      results[name].produce.push(rate(produceMs));
      results[name].consume.push(rate(consumeMs));
      console.log(
        `round ${round} ${name.padEnd(12)} produce ${fmt(rate(produceMs)).padStart(8)} msg/s   consume ${fmt(rate(consumeMs)).padStart(8)} msg/s`,
      );
    }
  }
  for (const name of ['kafkajs', 'platformatic'] as const) {
    console.log(
      `median   ${name.padEnd(12)} produce ${fmt(median(results[name].produce)).padStart(8)} msg/s   consume ${fmt(median(results[name].consume)).padStart(8)} msg/s`,
    );
  }
  const k = results.kafkajs;
  const p = results.platformatic;
  console.log(
    `platformatic / kafkajs: produce ${(median(p.produce) / median(k.produce)).toFixed(2)}, consume ${(median(p.consume) / median(k.consume)).toFixed(2)}`,
  );
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

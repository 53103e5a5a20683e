import {
  createKafkaClient,
  createKafkaProducer,
  ensureTopics,
  exitOnKafkaFatal,
} from '@telemetry-pulse/shared';
import type { ServiceDefinition } from '@telemetry-pulse/shared/service';
import { createHttpProducer } from './adapters/http-producer';
import { createSimulator } from './app';
import { parseSimulatorConfig, type SimulatorConfig } from './config';
import { simulatorOptionSpecs } from './options';

/** The simulator as `runService` runs it (main.ts); a bounded run ends the process when it is done. */
export const service: ServiceDefinition<SimulatorConfig> = {
  name: 'simulator',
  usage: 'telemetry-simulator [options]   (from the repository: npm run simulator -- [options])',
  summary:
    'Simulates a smart-building fleet (sites × zones × devices reporting CO2, temperature, humidity and\n' +
    'occupancy) and publishes its telemetry to Kafka, with anomalies, duplicates, late, out-of-order and\n' +
    'malformed messages injected at configurable rates. Runs live at --rate, for --count messages or\n' +
    '--duration, or backfills history with --backfill.',
  specs: simulatorOptionSpecs,
  parse: parseSimulatorConfig,
  async start(config, logger) {
    const kafka = createKafkaClient(config.kafka, logger, { onFatal: exitOnKafkaFatal(logger) });
    const { transport } = config;
    // Idempotent: a retried batch never lands twice, so the only duplicates are the injected ones. Over
    // HTTP the API's producer is the idempotent one, and a retried batch keeps its event ids.
    const producer =
      transport.kind === 'http'
        ? createHttpProducer({ url: transport.url, apiKey: transport.apiKey, logger })
        : createKafkaProducer(kafka, { idempotent: true, compression: config.producer.compression });
    const simulator = createSimulator({
      config,
      producer,
      logger,
      ensureTopics: (topics) => ensureTopics(kafka, topics, logger),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    await simulator.start();
    // A failed run rejects `done`: runMain reports it and exits 1 (the error is already logged with its cause).
    return { stop: () => simulator.stop(), done: simulator.done.then(() => undefined) };
  },
};

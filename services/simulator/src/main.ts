#!/usr/bin/env node
// First: tracing must be running before anything below loads pg, http or koa.
import { tracing } from './tracing-bootstrap';
import {
  createKafkaClient,
  exitOnKafkaFatal,
  createKafkaProducer,
  createLogger,
  ensureTopics,
  formatHelp,
  runMain,
  runUntilSignalled,
} from '@telemetry-pulse/shared';
import { createHttpProducer } from './adapters/http-producer';
import { createSimulator } from './app';
import { parseSimulatorConfig } from './config';
import { simulatorOptionSpecs } from './options';

const USAGE = 'telemetry-simulator [options]   (from the repository: npm run simulator -- [options])';
const SUMMARY =
  'Simulates a smart-building fleet (sites × zones × devices reporting CO2, temperature, humidity and\n' +
  'occupancy) and publishes its telemetry to Kafka, with anomalies, duplicates, late, out-of-order and\n' +
  'malformed messages injected at configurable rates. Runs live at --rate, for --count messages or\n' +
  '--duration, or backfills history with --backfill.';

/** Composition root: the only place that reads the environment and builds real collaborators. */
runMain(async () => {
  const parsed = parseSimulatorConfig(process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(`${formatHelp(USAGE, SUMMARY, simulatorOptionSpecs)}\n`);
    return;
  }
  const { config } = parsed;
  const logger = createLogger({ service: 'simulator', level: config.logLevel });
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
  const stop = async (): Promise<void> => {
    await simulator.stop();
    // Last, after the producer flush: exports the final spans; a dead collector costs spans, not the stop.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
  };
  await runUntilSignalled({ stop, done: simulator.done.then(() => undefined) }, logger);
});

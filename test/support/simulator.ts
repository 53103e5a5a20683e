import { createKafkaClient, createKafkaProducer, ensureTopics } from '@telemetry-pulse/shared';
import { createSimulator, parseSimulatorConfig, type RunSummary } from '@telemetry-pulse/simulator';
import { BROKERS, quietLogger, testKafkaClientOptions } from './infra';

/** Runs the real simulator in-process with CLI-style `args` against the real broker, to the end of its run. */
export async function runTestSimulator(args: readonly string[]): Promise<RunSummary> {
  // Port 0: simulators in parallel test files must not contend for the default metrics port.
  const parsed = parseSimulatorConfig([...args, '--brokers', BROKERS.join(',')], {
    SIM_METRICS_PORT: '0',
    SIM_METRICS_HOST: '127.0.0.1',
  });
  if (parsed.help) throw new Error('unexpected --help');
  const { config } = parsed;
  const kafka = createKafkaClient(config.kafka, quietLogger, testKafkaClientOptions);
  const simulator = createSimulator({
    config,
    producer: createKafkaProducer(kafka, { idempotent: true, compression: config.producer.compression }),
    logger: quietLogger,
    ensureTopics: (topics) => ensureTopics(kafka, topics, quietLogger),
  });
  await simulator.start();
  try {
    return await simulator.done;
  } finally {
    await simulator.stop();
  }
}

/**
 * Starts the real simulator in-process for a live run (`--rate`, `--duration`) and resolves once it is
 * sending, with the port of its /metrics; `stop()` ends the run.
 */
export async function startTestSimulator(
  args: readonly string[],
): Promise<{ metricsPort: number; stop: () => Promise<void> }> {
  const parsed = parseSimulatorConfig([...args, '--brokers', BROKERS.join(',')], {
    SIM_METRICS_PORT: '0',
    SIM_METRICS_HOST: '127.0.0.1',
  });
  if (parsed.help) throw new Error('unexpected --help');
  const { config } = parsed;
  const kafka = createKafkaClient(config.kafka, quietLogger, testKafkaClientOptions);
  const simulator = createSimulator({
    config,
    producer: createKafkaProducer(kafka, { idempotent: true, compression: config.producer.compression }),
    logger: quietLogger,
    ensureTopics: (topics) => ensureTopics(kafka, topics, quietLogger),
  });
  await simulator.start();
  simulator.done.catch(() => undefined); // stop() reports; a failed run also shows as a target down
  const metricsPort = simulator.opsPort();
  if (metricsPort === undefined) throw new Error('the simulator has no metrics port');
  return { metricsPort, stop: () => simulator.stop() };
}

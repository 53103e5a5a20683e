import { parseOptions } from '@telemetry-pulse/shared';
import {
  composeProcessor,
  processorOptionSpecs,
  toProcessorConfig,
  type Processor,
} from '@telemetry-pulse/processor';
import { BROKERS, quietLogger, testKafkaClientOptions } from './infra';

/** Starts a real processor (real kafkajs, real pg) in-process, configured like the CLI with `env`. */
export async function startTestProcessor(
  env: Record<string, string>,
): Promise<{ processor: Processor; opsPort: number }> {
  const parsed = parseOptions(processorOptionSpecs, [], {
    KAFKA_BROKERS: BROKERS.join(','),
    PROCESSOR_PORT: '0',
    PROCESSOR_HOST: '127.0.0.1',
    PROCESSOR_MAINTENANCE_INTERVAL: '500ms',
    KAFKA_SESSION_TIMEOUT: '10s',
    KAFKA_HEARTBEAT_INTERVAL: '1s',
    ...env,
  });
  if (parsed.help) throw new Error('unexpected --help');
  const processor = await composeProcessor(toProcessorConfig(parsed.config), quietLogger, {
    onKafkaFatal: testKafkaClientOptions.onFatal,
    env: { ...process.env, ...env }, // secrets a notifications file names
  });
  const { opsPort } = await processor.start();
  return { processor, opsPort };
}

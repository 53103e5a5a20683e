import { parseOptions } from '@telemetry-pulse/shared';
import type { ServiceDefinition } from '@telemetry-pulse/shared/service';
import { composeProcessor } from './compose';
import { processorOptionSpecs, toProcessorConfig, type ProcessorConfig } from './config';

/** The processor as `runService` runs it (main.ts). */
export const service: ServiceDefinition<ProcessorConfig> = {
  name: 'processor',
  usage: 'telemetry-processor [options]',
  summary: `Consumes telemetry readings from Kafka, stores them in PostgreSQL exactly once, maintains
event-time window aggregates and alerts, and dead-letters poison messages.`,
  specs: processorOptionSpecs,
  parse(argv, env) {
    const parsed = parseOptions(processorOptionSpecs, argv, env);
    return parsed.help ? parsed : { help: false, config: toProcessorConfig(parsed.config) };
  },
  async start(config, logger) {
    const processor = await composeProcessor(config, logger);
    await processor.start();
    return processor;
  },
};

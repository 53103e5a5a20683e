import { parseWith, type ServiceDefinition } from '@telemetry-pulse/shared/service';
import { composeProcessor } from './compose';
import { processorOptionSpecs, toProcessorConfig, type ProcessorConfig } from './config';

/** The processor as `runService` runs it (main.ts). */
export const service: ServiceDefinition<ProcessorConfig> = {
  name: 'processor',
  usage: 'telemetry-processor [options]',
  summary: `Consumes telemetry readings from Kafka, stores them in PostgreSQL exactly once, maintains
event-time window aggregates and alerts, and dead-letters poison messages.`,
  specs: processorOptionSpecs,
  parse: parseWith(processorOptionSpecs, toProcessorConfig),
  async start(config, logger) {
    const processor = await composeProcessor(config, logger);
    await processor.start();
    return processor;
  },
};

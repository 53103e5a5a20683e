#!/usr/bin/env node
import { createLogger, formatHelp, parseOptions, runMain, runUntilSignalled } from '@telemetry-pulse/shared';
import { composeProcessor } from './compose';
import { processorOptionSpecs, toProcessorConfig } from './config';

const SUMMARY = `Consumes telemetry readings from Kafka, stores them in PostgreSQL exactly once, maintains
event-time window aggregates and alerts, and dead-letters poison messages.`;

runMain(async () => {
  const parsed = parseOptions(processorOptionSpecs, process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(`${formatHelp('telemetry-processor [options]', SUMMARY, processorOptionSpecs)}\n`);
    return;
  }
  const config = toProcessorConfig(parsed.config);
  const logger = createLogger({ service: 'processor', level: config.logLevel });
  const processor = await composeProcessor(config, logger);
  await processor.start();
  await runUntilSignalled(processor, logger, config.shutdownTimeoutMs);
});

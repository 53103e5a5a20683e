#!/usr/bin/env node
// First: tracing must be running before anything below loads pg, http or koa.
import { tracing } from './tracing-bootstrap';
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
  const stop = async (): Promise<void> => {
    await processor.stop();
    // Last, after the pool: exports the final spans; a dead collector costs spans, not the stop.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
  };
  await runUntilSignalled({ stop }, logger, config.shutdownTimeoutMs);
});

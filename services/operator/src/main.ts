#!/usr/bin/env node
// First: tracing must be running before anything below loads http.
import { tracing } from './tracing-bootstrap';
import { createLogger, formatHelp, parseOptions, runMain, runUntilSignalled } from '@telemetry-pulse/shared';
import { composeOperator } from './compose';
import { operatorOptionSpecs, toOperatorConfig } from './config';

const SUMMARY = `Kubernetes operator for TelemetryPipeline resources (telemetrypulse.io/v1alpha1): keeps each
pipeline's Deployments, Services, ConfigMaps and ServiceAccount as declared, scales the processors on
consumer lag, and reports status and events. One replica acts at a time (leader election on a Lease).`;

runMain(async () => {
  const parsed = parseOptions(operatorOptionSpecs, process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(`${formatHelp('telemetry-operator [options]', SUMMARY, operatorOptionSpecs)}\n`);
    return;
  }
  const config = toOperatorConfig(parsed.config);
  const logger = createLogger({ service: 'operator', level: config.logLevel });
  const operator = composeOperator(config, logger);
  await operator.start();
  const stop = async (): Promise<void> => {
    await operator.stop();
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
  };
  await runUntilSignalled({ stop }, logger, config.shutdownTimeoutMs);
});

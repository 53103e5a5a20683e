#!/usr/bin/env node
// First: tracing must be running before anything below loads pg, http or koa.
import { tracing } from './tracing-bootstrap';
import { createLogger, formatHelp, parseOptions, runMain, runUntilSignalled } from '@telemetry-pulse/shared';
import { composeApi } from './compose';
import { apiOptionSpecs, toApiConfig } from './config';

const SUMMARY = `Serves the TelemetryPulse API (compatibility routes, /api/v1, live stream, /openapi.json, /docs)
and the dashboard, from the PostgreSQL database the processor fills.`;

runMain(async () => {
  const parsed = parseOptions(apiOptionSpecs, process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(`${formatHelp('telemetry-api [options]', SUMMARY, apiOptionSpecs)}\n`);
    return;
  }
  const config = toApiConfig(parsed.config);
  const logger = createLogger({ service: 'api', level: config.logLevel });
  const api = composeApi(config, logger);
  const { port } = await api.start();
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(
    { url: `http://${host}:${port}/`, docs: `http://${host}:${port}/docs` },
    'dashboard and API ready',
  );
  const stop = async (): Promise<void> => {
    await api.stop();
    // Last, after the pools: exports the final spans; a dead collector costs spans, not the stop.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
  };
  await runUntilSignalled({ stop }, logger, config.shutdownTimeoutMs);
});

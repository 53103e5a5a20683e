import { parseWith, type ServiceDefinition } from '@telemetry-pulse/shared/service';
import { composeApi } from './compose';
import { apiOptionSpecs, toApiConfig, type ApiConfig } from './config';

/** The API as `runService` runs it (main.ts). */
export const service: ServiceDefinition<ApiConfig> = {
  name: 'api',
  usage: 'telemetry-api [options]',
  summary: `Serves the TelemetryPulse API (compatibility routes, /api/v1, live stream, /openapi.json, /docs)
and the dashboard, from the PostgreSQL database the processor fills.`,
  specs: apiOptionSpecs,
  parse: parseWith(apiOptionSpecs, toApiConfig),
  async start(config, logger) {
    const api = composeApi(config, logger);
    const { port } = await api.start();
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    logger.info(
      { url: `http://${host}:${port}/`, docs: `http://${host}:${port}/docs` },
      'dashboard and API ready',
    );
    return api;
  },
};

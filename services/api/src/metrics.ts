import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The API's Prometheus metrics; labels are bounded: route templates, never raw paths or ids. */
export function createApiMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'telemetry_api_requests_total',
      help: 'HTTP requests, by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'telemetry_api_request_duration_seconds',
      help: 'Time to answer, by method, route template and status (for the live stream: until it starts).',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'telemetry_api_rate_limited_total',
      help: 'Requests refused with 429.',
      registers: [registry],
    }),
    ingested: new Counter({
      name: 'telemetry_api_ingested_readings_total',
      help: 'Readings received over HTTP: accepted (acknowledged by Kafka) or rejected (invalid).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    sseClients: new Gauge({
      name: 'telemetry_api_sse_clients',
      help: 'Open /api/v1/stream connections.',
      registers: [registry],
    }),
    sseRejected: new Counter({
      name: 'telemetry_api_sse_rejected_total',
      help: 'Stream connections refused because the connection cap was reached.',
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

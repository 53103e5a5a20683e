/**
 * Starts tracing before the service's code loads: `main.ts` imports this module first, so `pg`, `http`
 * and `koa` are patched when they are first required. Imports nothing of the app. Off unless an OTLP
 * endpoint or `OTEL_TRACES_EXPORTER` is set (see docs/observability.md, "Tracing").
 */
import { startTracing } from '@telemetry-pulse/shared/tracing';

export const tracing = startTracing({ serviceName: 'telemetry-processor', env: process.env });

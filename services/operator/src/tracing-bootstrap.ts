/**
 * Starts tracing before the operator's code loads (see the processor's twin). Off unless an OTLP endpoint
 * or `OTEL_TRACES_EXPORTER` is set (docs/observability.md, "Tracing").
 */
import { startTracing } from '@telemetry-pulse/shared/tracing';

export const tracing = startTracing({ serviceName: 'telemetry-operator', env: process.env });

/**
 * Trace context for the Kafka adapters: only `@opentelemetry/api`, so it costs nothing when no SDK runs.
 * The SDK itself is `@telemetry-pulse/shared/tracing`, loaded first by each service's tracing bootstrap.
 */
export * from './propagation';
export * from './spans';

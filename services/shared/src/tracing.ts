/**
 * The OpenTelemetry SDK entry (`@telemetry-pulse/shared/tracing`), kept apart from the root entry so a
 * service can start tracing before anything loads `pg` or `http`.
 */
export * from './telemetry/tracing';

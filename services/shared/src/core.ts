/**
 * The pure part of the shared package: event schema and option parsing, with no client library behind
 * it. Domain code imports `@telemetry-pulse/shared/core`, never the root entry (which loads kafkajs and pg).
 */
export * from './event';
export * from './config';
export * from './kafka/consumer-lag';

/** The simulator as a library, for tests and the benchmark; the CLI is `main.ts`. */
export * from './app';
export * from './config';
export * from './options';
export * from './run-loop';
export * from './send-window';
export * from './adapters/clock';
export * from './domain/anomaly';
export * from './domain/calendar';
export * from './domain/encode';
export * from './domain/fleet';
export * from './domain/malformed';
export * from './domain/pacing';
export * from './domain/progress';
export * from './domain/random';
export * from './domain/signals';
export * from './domain/stream';
export * from './domain/timeline';

export * from './config';
export * from './db';
export * from './event';
export * from './http';
export * from './kafka';
export * from './log';
export * from './process';
export * from './telemetry';

// The operator's pure parts and options; the adapters load @kubernetes/client-node (ECMAScript-only), so
// they are reached through compose.ts, never from here.
export * from './config';
export * from './domain/desired';
export * from './domain/lease';
export * from './domain/names';
export * from './domain/plan';
export * from './domain/reconcile';
export * from './domain/scaling';
export * from './domain/spec';
export * from './domain/status';
export * from './domain/types';

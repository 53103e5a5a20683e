export * from './ops-server';

export * from './sensor';
export * from './timestamp';
export * from './printable';
export * from './schema';
export * from './topics';
export * from './severity';
export * from './notification-channel';

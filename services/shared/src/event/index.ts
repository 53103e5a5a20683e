export * from './sensor';
export * from './timestamp';
export * from './schema';
export * from './topics';

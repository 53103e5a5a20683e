export * from './options';
export * from './pool';
export * from './migrate';

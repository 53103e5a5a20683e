export * from './options';
export * from './values';

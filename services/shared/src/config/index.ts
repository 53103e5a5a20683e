export * from './options';
export * from './values';
export * from './service-options';

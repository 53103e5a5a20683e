export * from './options';
export * from './client';
export * from './producer';
export * from './codecs';
export * from './topics';
export * from './consumer';
export * from './consumer-lag';
export * from './lag-reader';

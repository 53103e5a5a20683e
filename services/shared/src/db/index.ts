export * from './options';
export * from './pool';
export * from './migrate';
export * from './tls';
export * from './readiness';
export * from './statement';

export * from './common';
export * from './catalog';
export * from './readings';
export * from './aggregates';
export * from './alerts';
export * from './pipeline';
export * from './compat';
export * from './ingest';

export * from './common';
export * from './catalog';
export * from './readings';
export * from './aggregates';
export * from './alerts';
export * from './pipeline';
export * from './live';
export * from './compat';

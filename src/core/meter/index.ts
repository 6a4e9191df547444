export * from './meter';
export * from './statusText';

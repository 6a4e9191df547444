export * from './meter';
export * from './present';

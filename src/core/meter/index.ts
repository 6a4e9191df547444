export * from './meter';

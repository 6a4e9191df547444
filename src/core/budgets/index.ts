export * from './settings';
export * from './evaluate';
export * from './thresholds';
export * from './gate';

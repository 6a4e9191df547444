export * from './limits';
export * from './plans';
export * from './view';
export * from './compare';

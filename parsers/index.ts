export * from './site/index.js';
export * from './documents/index.js';

export * from './data-source-options.js';
export * from './embedded.js';
export * from './naming.strategy.js';
export * from './change-notify.js';
export * from './pg-listener.js';

export * from './errors.js';
export * from './crypto.js';
export * from './names.js';
export * from './pagination.js';
export * from './ids.js';
export * from './clock.js';

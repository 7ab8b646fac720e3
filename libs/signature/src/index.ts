export * from './encode.js';
export * from './v1.js';
export * from './v3.js';

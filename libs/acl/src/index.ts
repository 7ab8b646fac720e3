export * from './topic.js';
export * from './policy.js';
export * from './resources.js';

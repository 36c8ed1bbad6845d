export * from './encoder.js';
export * from './errors.js';
export * from './escape.js';
export * from './frame.js';
export * from './limits.js';
export * from './parser.js';

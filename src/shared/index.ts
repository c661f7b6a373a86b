export * from './causes.js';
export * from './credentials.js';
export * from './objects.js';
export * from './paths.js';
export * from './report.js';

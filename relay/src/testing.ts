// Test support for other packages' tests: databases per dialect. Not part of the runtime API.
export * from './db/test-databases.js';

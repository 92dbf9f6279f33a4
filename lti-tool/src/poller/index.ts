// Canvas REST: the poller that back-fills what Live Events missed, and the mapping's lookups.
export * from './canvas-rest.js';
export * from './lookup.js';
export * from './poller.js';

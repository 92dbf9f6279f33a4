// Discourse webhooks -> SyncEvents: a pure mapping, no I/O (links and REST are behind DiscourseLookup).
export * from './lookup.js';
export * from './map.js';
export * from './webhook.js';
export * from './static-lookup.js';

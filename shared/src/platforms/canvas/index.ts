// Canvas Live Events -> SyncEvents: a pure mapping, no I/O (Canvas REST is behind CanvasLookup).
export * from './ids.js';
export * from './live-event.js';
export * from './lookup.js';
export * from './map.js';

// The Canvas simulator: start it with startCanvasSimulator(); change it with the mutations (or the
// control API over HTTP); read it through its REST API; receive its Live Events.
export { startCanvasSimulator, LIVE_EVENTS_JWKS_PATH, LIVE_EVENTS_JWKS_ALIAS } from './server.js';
export type { CanvasSimulator, CanvasSimulatorOptions } from './server.js';
export * from './state.js';
export * from './mutations.js';
export { Faults } from './control.js';
export { LiveEventsKeys } from './live-events/keys.js';
export { LiveEventsSender } from './live-events/sender.js';
export type {
  Subscription,
  SenderOptions,
  SenderCounters,
  DeliveryRecord,
} from './live-events/sender.js';
export { buildLiveEvent } from './live-events/metadata.js';
export type { LiveEvent, CanvasIdentity } from './live-events/metadata.js';
export { RequestThrottle, DEFAULT_THROTTLE } from './rest/throttle.js';
export type { ThrottleSettings } from './rest/throttle.js';
export { DEFAULT_PER_PAGE, MAX_PER_PAGE } from './rest/pagination.js';

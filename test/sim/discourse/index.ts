// The Discourse simulator: start it with startDiscourseSimulator(); change it through its REST API,
// the mutations or the control API; receive its webhooks.
export { startDiscourseSimulator } from './server.js';
export type { DiscourseSimulator, DiscourseSimulatorOptions } from './server.js';
export * from './state.js';
export * from './mutations.js';
export { Faults } from './control.js';
export { RateLimiter, INVALID_API_CREDENTIALS } from './rest/auth.js';
export type { RateLimits } from './rest/auth.js';
export { WebhookEmitter, MAX_RETRY_COUNT, RETRY_BACKOFF } from './webhooks/emitter.js';
export type { EmitterCounters, EmitterOptions, WebHookEventRecord } from './webhooks/emitter.js';
export { TOPIC_PAYLOAD_KEYS } from './webhooks/payloads.js';
export { AUTH_API_VERSION } from './rest/user-api-keys.js';

// @cds/shared: the contract every part of canvas-discourse-sync depends on. No I/O, but for
// verifyDelivery fetching the relay's JWKS when it is given a URL.
export * from './errors.js';
export * from './events/entity.js';
export * from './events/sync-event.js';
export * from './events/limits.js';
export * from './events/payloads/index.js';
export * from './clock/version-vector.js';
export * from './clock/hlc.js';
export * from './signing/hash.js';
export * from './signing/keys.js';
export * from './signing/sign.js';
export * from './signing/verify.js';
export * from './signing/status-token.js';
export * from './signing/replay.js';
export * from './policies/table.js';
export * from './policies/register.js';
export * from './policies/decide.js';
export * from './mappings/registry.js';
export * from './events/examples.js';
export * from './audit/merkle.js';
export * from './delivery/format.js';
export * from './delivery/sign.js';
export * from './delivery/verify.js';
export * from './delivery/result.js';
export * from './delivery/target-error.js';
export * from './platforms/canvas/index.js';
export * from './platforms/discourse/index.js';

// @cds/relay: import the pieces without starting anything (CONVENTIONS.md #3).
export * from './config.js';
export * from './settings/connections.js';
export * from './relay.js';
export { createLogger, type Logger } from './log.js';
export * from './runtime.js';
export { closeOnSignal, roleArgument, runEntry } from './entry.js';
export * from './db/connect.js';
export { migrateTables } from './db/migrations.js';
export {
  EVENT_STATES,
  UNFINISHED_EVENT_STATES,
  isUnfinished,
  type EventState,
} from './db/schema.js';
export * from './connectors/connector.js';
export * from './connectors/breaker.js';
export * from './audit/chain.js';
export * from './http/auth.js';
export * from './metrics.js';
export * from './status/bus.js';
export * from './status/queries.js';
export * from './status/router.js';
export { writeProducerKey, type ProducerKeyFiles } from './cli/keys.js';
export { auditKeyChange } from './ops/key-changes.js';

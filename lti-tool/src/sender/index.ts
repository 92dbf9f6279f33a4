// The durable outbox of captured Canvas changes and the sender that drains it to the relay.
export * from './fingerprint.js';
export * from './outbox.js';
export * from './relay-sender.js';
export * from './schema.js';

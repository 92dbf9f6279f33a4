import { createHash } from 'node:crypto';
import { canonicalJson, eventHash } from '@cds/shared';
import type { AuditTable } from '../db/schema.js';

/** The hash of a record: SHA-256 over the previous hash and the record's canonical JSON. */
export function auditRecordHash(record: Omit<AuditTable, 'hash'> & { hash?: string }): string {
  const { seq, at, actor, action, subject, detail, prev_hash } = record;
  return createHash('sha256')
    .update(prev_hash)
    .update(canonicalJson({ seq, at, actor, action, subject, detail }))
    .digest('hex');
}

/** The actions of records that decide an event; each names the event and the hash of its body. */
export const DECISION_ACTIONS = [
  'event.apply',
  'event.stale',
  'event.override',
  'event.conflict',
  'event.parked',
] as const;

const decisionActions: ReadonlySet<string> = new Set(DECISION_ACTIONS);

export function isDecision(action: string): boolean {
  return decisionActions.has(action);
}

/**
 * The `eventHash` a decision record holds: `eventHash()` of the event as the log stored it.
 * Undefined for other records, and for decisions written before records carried it.
 */
export function recordedEventHash(
  record: Pick<AuditTable, 'action' | 'detail'>,
): string | undefined {
  if (!isDecision(record.action)) return undefined;
  let detail: unknown;
  try {
    detail = JSON.parse(record.detail);
  } catch {
    return undefined; // an altered record: its own hash check reports it
  }
  const hash = (detail as { eventHash?: unknown } | null)?.eventHash;
  return typeof hash === 'string' ? hash : undefined;
}

/**
 * The hash of an event as stored now (`events.body`), to compare with its decision's; null when
 * the body is no longer JSON at all (then it cannot match).
 */
export function storedEventHash(body: string): string | null {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return null;
  }
  return eventHash(event);
}

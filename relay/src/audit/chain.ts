import { canonicalJson } from '@cds/shared';
import type { AuditTable } from '../db/schema.js';
import type { Tx } from '../db/transaction.js';
import { auditRecordHash } from './hash.js';

// The chain's public face: appending here, hashing, the head and verification beside it.
export { auditRecordHash, DECISION_ACTIONS, recordedEventHash, storedEventHash } from './hash.js';
export { formatAuditHead, parseAuditHead, readAuditHead, type AuditHead } from './head.js';
export {
  verifyAuditChain,
  type AuditBreak,
  type AuditVerification,
  type VerifyOptions,
} from './verify.js';

/** What a caller records; the chain adds seq, time and hashes. */
export interface AuditEntry {
  /** Who acted: `relay`, `worker`, `cli:<user>`, `admin`... */
  actor: string;
  /** What happened, e.g. `event.applied`, `dlq.replayed`, `batch.sealed`. */
  action: string;
  /** What it happened to: an event id, an entity key, a conflict id. */
  subject: string;
  detail: Record<string, unknown>;
}

/**
 * Appends entries to the hash-chained audit log inside the caller's write transaction, so the
 * record commits with the change it describes. The single audit_head row serialises appenders
 * (row lock on PostgreSQL; SQLite's write transaction already is exclusive).
 */
export async function appendAudit(
  trx: Tx,
  entries: readonly AuditEntry[],
  now: number = Date.now(),
): Promise<AuditTable[]> {
  if (entries.length === 0) return [];
  let headQuery = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (trx.dialect === 'postgres') headQuery = headQuery.forUpdate();
  const head = await headQuery.executeTakeFirstOrThrow();
  let { seq, hash } = head;
  const records: AuditTable[] = entries.map((entry) => {
    seq += 1;
    const unhashed = {
      seq,
      at: now,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      detail: canonicalJson(entry.detail),
      prev_hash: hash,
    };
    hash = auditRecordHash(unhashed);
    return { ...unhashed, hash };
  });
  for (let i = 0; i < records.length; i += 200) {
    await trx
      .insertInto('audit')
      .values(records.slice(i, i + 200))
      .execute();
  }
  await trx.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
  return records;
}

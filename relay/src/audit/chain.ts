import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { canonicalJson } from '@cds/shared';
import type { Store } from '../db/connect.js';
import { GENESIS_HASH } from '../db/migrations.js';
import type { AuditTable, Database } from '../db/schema.js';

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

/** The hash of a record: SHA-256 over the previous hash and the record's canonical JSON. */
export function auditRecordHash(record: Omit<AuditTable, 'hash'> & { hash?: string }): string {
  const { seq, at, actor, action, subject, detail, prev_hash } = record;
  return createHash('sha256')
    .update(prev_hash)
    .update(canonicalJson({ seq, at, actor, action, subject, detail }))
    .digest('hex');
}

/**
 * Appends entries to the hash-chained audit log inside the caller's write transaction, so the
 * record commits with the change it describes. The single audit_head row serialises appenders
 * (row lock on PostgreSQL; SQLite's write transaction already is exclusive).
 */
export async function appendAudit(
  trx: Transaction<Database>,
  dialect: Store['dialect'],
  entries: readonly AuditEntry[],
  now: number = Date.now(),
): Promise<AuditTable[]> {
  if (entries.length === 0) return [];
  let headQuery = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (dialect === 'postgres') headQuery = headQuery.forUpdate();
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

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first record that does not hold, and why. */
  broken?: { seq: number; reason: string };
}

/**
 * Walks the whole chain in order and checks every link and hash, reporting progress for long
 * logs. Catches an altered, removed or inserted record, and a head that does not match.
 */
export async function verifyAuditChain(
  store: Store,
  onProgress?: (checked: number, total: number) => void,
): Promise<AuditVerification> {
  const { total } = await store.db
    .selectFrom('audit')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  const PAGE = 2000;
  for (;;) {
    const page = await store.db
      .selectFrom('audit')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const record of page) {
      if (record.seq !== expectedSeq)
        return {
          ok: false,
          checked,
          broken: { seq: expectedSeq, reason: `record ${expectedSeq} is missing` },
        };
      if (record.prev_hash !== prevHash)
        return {
          ok: false,
          checked,
          broken: { seq: record.seq, reason: 'prev_hash does not match the record before it' },
        };
      if (auditRecordHash(record) !== record.hash)
        return {
          ok: false,
          checked,
          broken: { seq: record.seq, reason: 'content does not match its hash (altered)' },
        };
      prevHash = record.hash;
      expectedSeq += 1;
      checked += 1;
    }
    onProgress?.(checked, Number(total));
    if (page.length < PAGE) break;
  }
  const head = await store.db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  if (head.seq !== checked || head.hash !== prevHash) {
    return {
      ok: false,
      checked,
      broken: {
        seq: head.seq,
        reason: `the chain head (seq ${head.seq}) does not match the last record (seq ${checked}): records were removed or added`,
      },
    };
  }
  return { ok: true, checked };
}

import { merkleProof, merkleRoot, verifyMerkleProof, type MerkleStep } from '@cds/shared';
import {
  auditRecordHash,
  DECISION_ACTIONS,
  recordedEventHash,
  storedEventHash,
} from '../audit/hash.js';
import type { Store } from '../db/connect.js';
import type { AuditTable } from '../db/schema.js';
import { decisionLeaf } from '../processors/decide.js';

export interface InclusionProof {
  eventId: string;
  /** The audit record of the event's decision. */
  decision: AuditTable;
  /**
   * The hash of the event that the decision recorded, and that of its body as stored now (null:
   * the event is gone or its body is not JSON). Absent for decisions older than this field.
   */
  event?: { recordedHash: string; storedHash: string | null };
  /** Present when the event was decided in a sealed background batch. */
  batch?: { batchId: string; sealSeq: number; root: string; leaf: string; proof: MerkleStep[] };
  /** Every check that was made, all true for a valid proof. */
  checks: { decisionHash: boolean; eventHash?: boolean; merkle?: boolean; sealHash?: boolean };
  valid: boolean;
}

/**
 * Proves an applied event is in the audit log: its decision record's hash, the event's stored
 * body against the hash the decision recorded, and for a background batch the Merkle path from
 * the decision to the root sealed in the chain. `cds audit verify` checks the chain itself; this
 * shows one event's place in it.
 */
export async function proveEvent(
  store: Store,
  eventId: string,
): Promise<InclusionProof | undefined> {
  const decision = await store.db
    .selectFrom('audit')
    .selectAll()
    .where('subject', '=', eventId)
    .where('action', 'in', DECISION_ACTIONS)
    .orderBy('seq', 'desc')
    .executeTakeFirst();
  if (!decision) return undefined;
  const checks: InclusionProof['checks'] = {
    decisionHash: auditRecordHash(decision) === decision.hash,
  };
  // The decision vouches for the data too: the event's body must still hash as it did then.
  let event: InclusionProof['event'];
  const recordedHash = recordedEventHash(decision);
  if (recordedHash !== undefined) {
    const row = await store.db
      .selectFrom('events')
      .select('body')
      .where('id', '=', eventId)
      .executeTakeFirst();
    event = { recordedHash, storedHash: row ? storedEventHash(row.body) : null };
    checks.eventHash = event.storedHash === recordedHash;
  }
  const seals = await store.db
    .selectFrom('audit')
    .selectAll()
    .where('action', '=', 'batch.sealed')
    .where('seq', '>', decision.seq)
    .orderBy('seq')
    .limit(50)
    .execute();
  const seal = seals.find((s) =>
    (JSON.parse(s.detail) as { eventIds: string[] }).eventIds.includes(eventId),
  );
  let batch: InclusionProof['batch'];
  if (seal) {
    const detail = JSON.parse(seal.detail) as { root: string; eventIds: string[] };
    const records = await store.db
      .selectFrom('audit')
      .select(['subject', 'hash', 'seq'])
      .where('subject', 'in', detail.eventIds)
      .where('seq', '<', seal.seq)
      .orderBy('seq')
      .execute();
    const hashOf = new Map(records.map((r) => [r.subject, r.hash]));
    const leaves = detail.eventIds.map((id) => decisionLeaf(id, hashOf.get(id) ?? ''));
    const index = detail.eventIds.indexOf(eventId);
    const leaf = decisionLeaf(eventId, decision.hash);
    const proof = merkleProof(leaves, index);
    batch = { batchId: seal.subject, sealSeq: seal.seq, root: detail.root, leaf, proof };
    checks.merkle =
      merkleRoot(leaves) === detail.root && verifyMerkleProof(leaf, proof, detail.root);
    checks.sealHash = auditRecordHash(seal) === seal.hash;
  }
  return { eventId, decision, event, batch, checks, valid: Object.values(checks).every(Boolean) };
}

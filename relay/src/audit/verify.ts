import type { Store } from '../db/connect.js';
import { GENESIS_HASH } from '../db/migrations.js';
import type { AuditTable } from '../db/schema.js';
import { formatAuditHead, readAuditHead, type AuditHead } from './head.js';
import { auditRecordHash, recordedEventHash, storedEventHash } from './hash.js';

/** Where and why the chain does not hold; `eventId` when an event's stored body changed. */
export interface AuditBreak {
  seq: number;
  reason: string;
  eventId?: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Records whose link and hash held. */
  checked: number;
  /** Decisions whose event's stored body still matched the hash they recorded. */
  events: number;
  /** The first record that does not hold, and why. */
  broken?: AuditBreak;
}

export interface VerifyOptions {
  /** A head kept outside the database (`cds audit head`): it must still be in the chain. */
  expect?: AuditHead;
  onProgress?: (checked: number, total: number) => void;
}

/** Records per page: the walk holds one page at a time, whatever the length of the log. */
const PAGE = 2000;
/** Event bodies per query: bounds memory even for events near MAX_EVENT_BYTES. */
const BODY_CHUNK = 250;

/** The stored hash of each event (null: body not JSON; absent from the map: no such event). */
async function storedHashes(
  store: Store,
  eventIds: readonly string[],
): Promise<Map<string, string | null>> {
  const ids = [...new Set(eventIds)];
  const hashes = new Map<string, string | null>();
  for (let i = 0; i < ids.length; i += BODY_CHUNK) {
    const rows = await store.db
      .selectFrom('events')
      .select(['id', 'body'])
      .where('id', 'in', ids.slice(i, i + BODY_CHUNK))
      .execute();
    for (const row of rows) hashes.set(row.id, storedEventHash(row.body));
  }
  return hashes;
}

/** Why a decision's event does not match it, or undefined when it does. */
function eventFault(
  eventId: string,
  recorded: string,
  stored: Map<string, string | null>,
): Omit<AuditBreak, 'seq'> | undefined {
  if (!stored.has(eventId))
    return { eventId, reason: `event ${eventId}, decided here, is missing from the event log` };
  if (stored.get(eventId) !== recorded)
    return {
      eventId,
      reason: `the stored body of event ${eventId} no longer matches the hash its decision recorded (changed)`,
    };
  return undefined;
}

/**
 * Walks the whole chain in order, a page at a time, and checks every link and hash, and for each
 * decision the event's stored body against the hash the decision recorded. Catches an altered,
 * removed or inserted record, a head that does not match, an edited event body, and with `expect`
 * a truncation that also moved the head back. Reports progress for long logs.
 */
export async function verifyAuditChain(
  store: Store,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const { expect, onProgress } = options;
  const { total } = await store.db
    .selectFrom('audit')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let events = 0;
  const fail = (seq: number, fault: Omit<AuditBreak, 'seq'>): AuditVerification => ({
    ok: false,
    checked,
    events,
    broken: { seq, ...fault },
  });
  for (;;) {
    const page: AuditTable[] = await store.db
      .selectFrom('audit')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    const recorded = page.map(recordedEventHash);
    const stored = await storedHashes(
      store,
      page.filter((_, i) => recorded[i] !== undefined).map((r) => r.subject),
    );
    for (const [i, record] of page.entries()) {
      if (record.seq !== expectedSeq)
        return fail(expectedSeq, { reason: `record ${expectedSeq} is missing` });
      if (record.prev_hash !== prevHash)
        return fail(record.seq, { reason: 'prev_hash does not match the record before it' });
      if (auditRecordHash(record) !== record.hash)
        return fail(record.seq, { reason: 'content does not match its hash (altered)' });
      const eventHash = recorded[i];
      if (eventHash !== undefined) {
        const fault = eventFault(record.subject, eventHash, stored);
        if (fault) return fail(record.seq, fault);
        events += 1;
      }
      if (expect && record.seq === expect.seq && record.hash !== expect.hash)
        return fail(record.seq, {
          reason: `record ${record.seq} is not the expected head ${formatAuditHead(expect)}: its hash is ${record.hash} (the log was rewritten)`,
        });
      prevHash = record.hash;
      expectedSeq += 1;
      checked += 1;
    }
    onProgress?.(checked, Number(total));
    if (page.length < PAGE) break;
  }
  const head = await readAuditHead(store);
  if (head.seq !== checked || head.hash !== prevHash)
    return fail(head.seq, {
      reason: `the chain head (seq ${head.seq}) does not match the last record (seq ${checked}): records were removed or added`,
    });
  if (expect && expect.seq > checked)
    return fail(expect.seq, {
      reason: `the expected head, record ${expect.seq}, is missing: the log ends at record ${checked} (records were removed)`,
    });
  if (expect && expect.seq === 0 && expect.hash !== GENESIS_HASH)
    return fail(0, {
      reason: `the expected head ${formatAuditHead(expect)} is not the start of this chain`,
    });
  return { ok: true, checked, events };
}

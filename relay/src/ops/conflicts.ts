import { v7 as uuidv7 } from 'uuid';
import {
  CdsError,
  mergeVectors,
  type EntityState,
  type EntityType,
  type Head,
  type Source,
  type SyncEvent,
  type Tier,
  type VersionVector,
} from '@cds/shared';
import type { Store } from '../db/connect.js';
import { writeTransaction } from '../db/transaction.js';
import { appendAudit } from '../audit/chain.js';
import type { RelayQueues } from '../queue/queues.js';
import { logEvents } from '../store/events.js';

export async function listConflicts(
  store: Store,
  status: 'open' | 'resolved' = 'open',
  limit = 100,
) {
  const rows = await store.db
    .selectFrom('conflicts')
    .selectAll()
    .where('status', '=', status)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    event_ids: JSON.parse(r.event_ids) as string[],
    fields: JSON.parse(r.fields) as string[],
  }));
}

/**
 * Resolves a conflict by taking one side's version: the relay issues a `manual` event whose
 * version vector has seen every concurrent version, so the ordinary pipeline applies it and
 * settles the conflict everywhere (DESIGN.md section 4). Audited. Returns the new event's id.
 */
export async function resolveConflict(
  store: Store,
  queues: RelayQueues,
  conflictId: string,
  take: Source,
  actor: string,
  tierOf: (entity: EntityType) => Tier,
): Promise<string> {
  const event = await writeTransaction(store, async (trx) => {
    const conflict = await trx
      .selectFrom('conflicts')
      .selectAll()
      .where('id', '=', conflictId)
      .executeTakeFirst();
    if (!conflict)
      throw new CdsError('ERR_NOT_FOUND', `no conflict ${conflictId}: see "cds conflicts list"`);
    if (conflict.status !== 'open')
      throw new CdsError('ERR_CONFLICT', `conflict ${conflictId} is already ${conflict.status}`);
    const stateRow = await trx
      .selectFrom('sync_state')
      .select('state')
      .where('key', '=', conflict.key)
      .executeTakeFirstOrThrow();
    const state = JSON.parse(stateRow.state) as EntityState;
    const fields = JSON.parse(conflict.fields) as string[];
    const registers = fields.length > 0 ? fields : Object.keys(state.registers);
    const heads: Head[] = registers.flatMap((r) => state.registers[r] ?? []);
    const chosen = heads.filter((h) => h.source === take);
    if (chosen.length === 0)
      throw new CdsError(
        'ERR_MALFORMED',
        `conflict ${conflictId} has no version from ${take} (sources: ${[...new Set(heads.map((h) => h.source))].join(', ')})`,
      );
    const vv: VersionVector = heads.reduce<VersionVector>((acc, h) => mergeVectors(acc, h.vv), {});
    const original = await trx
      .selectFrom('events')
      .select(['body', 'schema'])
      .where('id', '=', chosen[0]!.eventId)
      .executeTakeFirstOrThrow();
    const base = JSON.parse(original.body) as SyncEvent;
    const takenFields = registers.flatMap((r) => {
      const head = (state.registers[r] ?? []).find((h) => h.source === take);
      return head ? [[r, head.value] as const] : [];
    });
    const payload =
      fields.length > 0
        ? { ...base.payload, ...Object.fromEntries(takenFields) }
        : (chosen[0]!.value as Record<string, unknown>);
    const manual: SyncEvent = {
      ...base,
      id: uuidv7(),
      source: 'manual',
      op: chosen[0]!.deleted ? 'delete' : 'upsert',
      vv: { ...vv, manual: (vv.manual ?? 0) + 1 },
      hlc: { wall: Date.now(), counter: 0, node: 'manual' },
      payload,
    };
    await logEvents(trx, [
      { event: manual, producer: actor, tier: tierOf(base.entity), state: 'accepted' },
    ]);
    const now = Date.now();
    await trx
      .updateTable('conflicts')
      .set({
        status: 'resolved',
        resolution: `took ${take} (event ${manual.id}) by ${actor}`,
        resolved_at: now,
      })
      .where('id', '=', conflictId)
      .execute();
    await appendAudit(trx, [
      {
        actor,
        action: 'conflict.resolved',
        subject: conflictId,
        detail: { take, eventId: manual.id, key: conflict.key },
      },
    ]);
    return manual;
  });
  await queues.enqueueDecisions([event], () => tierOf(event.entity));
  return event.id;
}

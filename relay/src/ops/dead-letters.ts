import type { Store } from '../db/connect.js';
import type { DeadLettersTable } from '../db/schema.js';
import { writeTransaction } from '../db/transaction.js';
import { appendAudit } from '../audit/chain.js';
import { ensureJob } from '../queue/ensure-job.js';
import type { RelayQueues } from '../queue/queues.js';
import type { Tier } from '@cds/shared';

export interface DeadLetterView extends DeadLettersTable {
  entity: string;
  key: string;
  tier: string;
}

/** Dead letters, newest first, optionally only one status. */
export async function listDeadLetters(
  store: Store,
  options: { status?: DeadLettersTable['status']; limit?: number } = {},
): Promise<DeadLetterView[]> {
  let query = store.db
    .selectFrom('dead_letters')
    .innerJoin('events', 'events.id', 'dead_letters.event_id')
    .selectAll('dead_letters')
    .select(['events.entity', 'events.key', 'events.tier'])
    .orderBy('dead_letters.updated_at', 'desc')
    .limit(options.limit ?? 100);
  if (options.status) query = query.where('dead_letters.status', '=', options.status);
  return query.execute();
}

export async function showDeadLetter(store: Store, eventId: string) {
  const letters = await store.db
    .selectFrom('dead_letters')
    .selectAll()
    .where('event_id', '=', eventId)
    .execute();
  if (letters.length === 0) return undefined;
  const event = await store.db
    .selectFrom('events')
    .selectAll()
    .where('id', '=', eventId)
    .executeTakeFirst();
  const deliveries = await store.db
    .selectFrom('deliveries')
    .selectAll()
    .where('event_id', '=', eventId)
    .execute();
  return {
    letters,
    event: event ? { ...event, body: JSON.parse(event.body) as unknown } : undefined,
    deliveries,
  };
}

/**
 * Sends dead-lettered events to their targets again: deliveries back to pending with a fresh
 * retry budget, jobs queued under the original delivery id (so a target that did apply it once
 * still applies it once). Audited. Returns how many were replayed.
 */
export async function replayDeadLetters(
  store: Store,
  queues: RelayQueues,
  eventIds: readonly string[],
  actor: string,
): Promise<number> {
  const replayed = await writeTransaction(store, async (trx) => {
    const letters = await trx
      .selectFrom('dead_letters')
      .selectAll()
      .where('event_id', 'in', [...eventIds])
      .where('status', '=', 'open')
      .execute();
    if (letters.length === 0) return [];
    const now = Date.now();
    const jobs: Array<{ target: string; deliveryId: string; tier: Tier; eventId: string }> = [];
    for (const letter of letters) {
      const delivery = await trx
        .updateTable('deliveries')
        .set({ status: 'pending', attempts: 0, last_error: null, updated_at: now })
        .where('event_id', '=', letter.event_id)
        .where('target', '=', letter.target)
        .returning(['delivery_id', 'tier'])
        .executeTakeFirstOrThrow();
      jobs.push({
        target: letter.target,
        deliveryId: delivery.delivery_id,
        tier: delivery.tier as Tier,
        eventId: letter.event_id,
      });
      await trx
        .updateTable('dead_letters')
        .set({ status: 'replayed', updated_at: now })
        .where('event_id', '=', letter.event_id)
        .where('target', '=', letter.target)
        .execute();
    }
    const ids = [...new Set(letters.map((l) => l.event_id))];
    await trx
      .updateTable('events')
      .set({ state: 'delivering', reason: `replayed by ${actor}`, updated_at: now })
      .where('id', 'in', ids)
      .execute();
    await appendAudit(
      trx,
      store.dialect,
      ids.map((id) => ({
        actor,
        action: 'dlq.replayed',
        subject: id,
        detail: { targets: letters.filter((l) => l.event_id === id).map((l) => l.target) },
      })),
    );
    return jobs;
  });
  for (const job of replayed) {
    await ensureJob(
      queues.deliverFor(job.target, job.tier),
      `${job.deliveryId}.${job.target}`,
      () =>
        queues.enqueueDelivery(job.target, {
          deliveryId: job.deliveryId,
          tier: job.tier,
          eventIds: [job.eventId],
        }),
    );
  }
  return new Set(replayed.map((j) => j.eventId)).size;
}

/** Gives up on dead-lettered events for good (audited); they stay in the log as 'dead'. */
export async function discardDeadLetters(
  store: Store,
  eventIds: readonly string[],
  actor: string,
  reason: string,
): Promise<number> {
  return writeTransaction(store, async (trx) => {
    const result = await trx
      .updateTable('dead_letters')
      .set({ status: 'discarded', updated_at: Date.now() })
      .where('event_id', 'in', [...eventIds])
      .where('status', '=', 'open')
      .returning('event_id')
      .execute();
    const ids = [...new Set(result.map((r) => r.event_id))];
    await appendAudit(
      trx,
      store.dialect,
      ids.map((id) => ({ actor, action: 'dlq.discarded', subject: id, detail: { reason } })),
    );
    return ids.length;
  });
}

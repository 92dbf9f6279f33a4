import { resolveState, type EntityState, type PolicyTable, type EntityType } from '@cds/shared';
import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import { writeTransaction } from '../db/transaction.js';
import type { Connector, DeliveryItem } from '../connectors/connector.js';
import type { DeliverJob } from '../queue/queues.js';
import { getEvents } from '../store/events.js';

export interface DeliverDeps {
  store: Store;
  policies: PolicyTable;
}

/** The events of a job still pending for this target: retries skip what already went through. */
async function pendingEventIds(
  store: Store,
  target: string,
  eventIds: readonly string[],
): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows = await store.db
    .selectFrom('deliveries')
    .select('event_id')
    .where('target', '=', target)
    .where('status', '=', 'pending')
    .where('event_id', 'in', [...eventIds])
    .execute();
  return rows.map((r) => r.event_id);
}

/**
 * Each item carries the value now resolved for its key, not the event's own payload: deliveries of
 * one key that overtake each other still leave the target with the newest value.
 */
async function itemsFor(deps: DeliverDeps, eventIds: string[]): Promise<DeliveryItem[]> {
  const events = await getEvents(deps.store.db, eventIds);
  const keys = [...new Set(events.map((e) => e.key))];
  const states = await deps.store.db
    .selectFrom('sync_state')
    .select(['key', 'entity', 'state'])
    .where('key', 'in', keys)
    .execute();
  const valueOf = new Map(
    states.map((row) => [
      row.key,
      resolveState(deps.policies[row.entity as EntityType], JSON.parse(row.state) as EntityState)
        .value,
    ]),
  );
  return events.map((e) => ({
    eventId: e.id,
    entity: e.entity,
    key: e.key,
    op: e.event.op,
    value: valueOf.get(e.key) ?? null,
  }));
}

/**
 * Delivers a job's pending events to one target and records success: the deliveries, the events
 * every target now has ('applied'), and one audit record. Throws the connector's TargetError.
 */
export async function deliverToTarget(
  deps: DeliverDeps,
  connector: Connector,
  job: DeliverJob,
): Promise<number> {
  const pending = await pendingEventIds(deps.store, connector.name, job.eventIds);
  if (pending.length === 0) return 0;
  await connector.deliver({
    id: job.deliveryId,
    tier: job.tier,
    eventIds: pending,
    items: await itemsFor(deps, pending),
  });
  await writeTransaction(deps.store, async (trx) => {
    const now = Date.now();
    await trx
      .updateTable('deliveries')
      .set({ status: 'delivered', updated_at: now, last_error: null })
      .where('target', '=', connector.name)
      .where('event_id', 'in', pending)
      .execute();
    const unfinished = await trx
      .selectFrom('deliveries')
      .select('event_id')
      .where('event_id', 'in', pending)
      .where('status', '!=', 'delivered')
      .execute();
    const waiting = new Set(unfinished.map((r) => r.event_id));
    const done = pending.filter((id) => !waiting.has(id));
    if (done.length > 0) {
      await trx
        .updateTable('events')
        .set({ state: 'applied', updated_at: now })
        .where('id', 'in', done)
        .where('state', '=', 'delivering')
        .execute();
    }
    await appendAudit(trx, deps.store.dialect, [
      {
        actor: 'worker',
        action: 'delivery.done',
        subject: job.deliveryId,
        detail: { target: connector.name, eventIds: pending },
      },
    ]);
  });
  return pending.length;
}

/** Counts a failed attempt; on the last one, moves the events to the dead letters (audited). */
export async function recordDeliveryFailure(
  deps: DeliverDeps,
  target: string,
  job: DeliverJob,
  error: string,
  final: boolean,
): Promise<void> {
  await writeTransaction(deps.store, async (trx) => {
    const now = Date.now();
    const pending = (
      await trx
        .selectFrom('deliveries')
        .select('event_id')
        .where('target', '=', target)
        .where('status', '=', 'pending')
        .where('event_id', 'in', job.eventIds)
        .execute()
    ).map((r) => r.event_id);
    if (pending.length === 0) return;
    await trx
      .updateTable('deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error,
        updated_at: now,
        status: final ? 'dead' : 'pending',
      }))
      .where('target', '=', target)
      .where('event_id', 'in', pending)
      .execute();
    if (!final) return;
    const attempts = await trx
      .selectFrom('deliveries')
      .select(['event_id', 'attempts'])
      .where('target', '=', target)
      .where('event_id', 'in', pending)
      .execute();
    for (const row of attempts) {
      await trx
        .insertInto('dead_letters')
        .values({
          event_id: row.event_id,
          target,
          last_error: error,
          attempts: row.attempts,
          status: 'open',
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['event_id', 'target']).doUpdateSet({
            last_error: error,
            attempts: row.attempts,
            status: 'open',
            updated_at: now,
          }),
        )
        .execute();
    }
    await trx
      .updateTable('events')
      .set({ state: 'dead', reason: `delivery to ${target} failed: ${error}`, updated_at: now })
      .where('id', 'in', pending)
      .execute();
    await appendAudit(trx, deps.store.dialect, [
      {
        actor: 'worker',
        action: 'delivery.dead',
        subject: job.deliveryId,
        detail: { target, eventIds: pending, error },
      },
    ]);
  });
}

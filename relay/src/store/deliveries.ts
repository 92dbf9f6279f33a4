import type { Transaction } from 'kysely';
import type { Database, DeliveriesTable } from '../db/schema.js';
import type { Tx } from '../db/transaction.js';
import { chunks, type Db } from './common.js';

// Every query of the `deliveries` table: one target's copy of an applied event.

export interface NewDelivery {
  eventId: string;
  target: string;
  /** The Idempotency-Key: the event id, or the background batch id. */
  deliveryId: string;
  tier: DeliveriesTable['tier'];
}

/** Records the deliveries a decision owes, in multi-row inserts; a recorded one stays as it is. */
export async function addDeliveries(
  db: Db,
  deliveries: readonly NewDelivery[],
  now = Date.now(),
): Promise<void> {
  for (const chunk of chunks(deliveries)) {
    await db
      .insertInto('deliveries')
      .values(
        chunk.map((d) => ({
          event_id: d.eventId,
          target: d.target,
          delivery_id: d.deliveryId,
          tier: d.tier,
          status: 'pending' as const,
          attempts: 0,
          last_error: null,
          first_attempt_at: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['event_id', 'target']).doNothing())
      .execute();
  }
}

/** Of these events, those still pending for the target: a retry skips what already went through. */
export async function pendingEventIds(
  db: Db,
  target: string,
  eventIds: readonly string[],
): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .selectFrom('deliveries')
    .select('event_id')
    .where('target', '=', target)
    .where('status', '=', 'pending')
    .where('event_id', 'in', [...eventIds])
    .execute();
  return rows.map((r) => r.event_id);
}

/**
 * Marks the target's deliveries of these events done; returns the events that every target now
 * has (no delivery of theirs left pending or dead).
 */
export async function markDelivered(
  trx: Tx,
  target: string,
  eventIds: readonly string[],
  now = Date.now(),
): Promise<string[]> {
  if (eventIds.length === 0) return [];
  if (trx.dialect === 'postgres') {
    // Two targets finishing one event at once would each see the other's delivery pending and
    // neither call it done: lock the event's deliveries first (in order: no deadlock cycle).
    await trx
      .selectFrom('deliveries')
      .select('event_id')
      .where('event_id', 'in', [...eventIds])
      .orderBy('event_id')
      .orderBy('target')
      .forUpdate()
      .execute();
  }
  await trx
    .updateTable('deliveries')
    .set({ status: 'delivered', updated_at: now, last_error: null })
    .where('target', '=', target)
    .where('event_id', 'in', [...eventIds])
    .execute();
  const unfinished = await trx
    .selectFrom('deliveries')
    .select('event_id')
    .where('event_id', 'in', [...eventIds])
    .where('status', '!=', 'delivered')
    .execute();
  const waiting = new Set(unfinished.map((r) => r.event_id));
  return eventIds.filter((id) => !waiting.has(id));
}

export interface FailedAttempt {
  /** The target's error, as the status API and dead letters show it. */
  error: string;
  /** Counts towards the retry window: false for a breaker's half-open probe. */
  counted: boolean;
  /** When the attempt began: the window of a delivery starts at its first counted attempt. */
  startedAt: number;
  now?: number;
}

export interface AttemptRecord {
  eventId: string;
  attempts: number;
  /** null while no counted attempt was made (only probes failed). */
  firstAttemptAt: number | null;
}

/**
 * Records a failed attempt on the target's pending deliveries of these events, and returns them
 * with their attempt count and the start of their retry window.
 */
export async function recordFailedAttempt(
  trx: Transaction<Database>,
  target: string,
  eventIds: readonly string[],
  attempt: FailedAttempt,
): Promise<AttemptRecord[]> {
  const pending = await pendingEventIds(trx, target, eventIds);
  if (pending.length === 0) return [];
  const now = attempt.now ?? Date.now();
  await trx
    .updateTable('deliveries')
    .set((eb) =>
      attempt.counted
        ? {
            attempts: eb('attempts', '+', 1),
            first_attempt_at: eb.fn.coalesce('first_attempt_at', eb.val(attempt.startedAt)),
            last_error: attempt.error,
            updated_at: now,
          }
        : { last_error: attempt.error, updated_at: now },
    )
    .where('target', '=', target)
    .where('event_id', 'in', pending)
    .execute();
  const rows = await trx
    .selectFrom('deliveries')
    .select(['event_id', 'attempts', 'first_attempt_at'])
    .where('target', '=', target)
    .where('event_id', 'in', pending)
    .execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    attempts: r.attempts,
    firstAttemptAt: r.first_attempt_at === null ? null : Number(r.first_attempt_at),
  }));
}

/** The target's deliveries of these events are given up (their dead letters say why). */
export async function markDeliveriesDead(
  trx: Transaction<Database>,
  target: string,
  eventIds: readonly string[],
  now = Date.now(),
): Promise<void> {
  if (eventIds.length === 0) return;
  await trx
    .updateTable('deliveries')
    .set({ status: 'dead', updated_at: now })
    .where('target', '=', target)
    .where('event_id', 'in', [...eventIds])
    .execute();
}

export type IdleDelivery = Pick<DeliveriesTable, 'event_id' | 'target' | 'delivery_id' | 'tier'>;

/** Pending deliveries unchanged since `cutoff`: the sweeper makes sure their jobs exist. */
export async function idleDeliveries(
  db: Db,
  cutoff: number,
  limit: number,
): Promise<IdleDelivery[]> {
  return db
    .selectFrom('deliveries')
    .select(['event_id', 'target', 'delivery_id', 'tier'])
    .where('status', '=', 'pending')
    .where('updated_at', '<=', cutoff)
    .limit(limit)
    .execute();
}

/** Marks pending deliveries as just looked at, so the next sweep leaves them be for a while. */
export async function touchDeliveries(
  db: Db,
  target: string,
  eventIds: readonly string[],
  now = Date.now(),
): Promise<void> {
  for (const chunk of chunks(eventIds)) {
    await db
      .updateTable('deliveries')
      .set({ updated_at: now })
      .where('target', '=', target)
      .where('event_id', 'in', chunk)
      .where('status', '=', 'pending')
      .execute();
  }
}

/**
 * A dead delivery back to pending with a fresh retry window (a replay); returns the id it is
 * delivered under (unchanged, so a target that applied it once still applies it once) and its tier.
 */
export async function reopenDelivery(
  trx: Transaction<Database>,
  eventId: string,
  target: string,
  now = Date.now(),
): Promise<{ deliveryId: string; tier: DeliveriesTable['tier'] }> {
  const row = await trx
    .updateTable('deliveries')
    .set({
      status: 'pending',
      attempts: 0,
      last_error: null,
      first_attempt_at: null,
      updated_at: now,
    })
    .where('event_id', '=', eventId)
    .where('target', '=', target)
    .returning(['delivery_id', 'tier'])
    .executeTakeFirstOrThrow();
  return { deliveryId: row.delivery_id, tier: row.tier };
}

/** Forgets the deliveries of these events not done yet: they are decided again (a replay). */
export async function dropUndelivered(
  trx: Transaction<Database>,
  eventIds: readonly string[],
): Promise<void> {
  for (const chunk of chunks(eventIds)) {
    await trx
      .deleteFrom('deliveries')
      .where('event_id', 'in', chunk)
      .where('status', '!=', 'delivered')
      .execute();
  }
}

/** Every delivery of one event, by target. */
export async function deliveriesOfEvent(db: Db, eventId: string): Promise<DeliveriesTable[]> {
  return db
    .selectFrom('deliveries')
    .selectAll()
    .where('event_id', '=', eventId)
    .orderBy('target')
    .execute();
}

/** Per target: deliveries not done yet, and how many of them failed their last attempt. */
export async function pendingByTarget(
  db: Db,
): Promise<Array<{ target: string; pending: number; failing: number }>> {
  const rows = await db
    .selectFrom('deliveries')
    .select((eb) => [
      'target',
      eb.fn.countAll().as('pending'),
      eb.fn.count('last_error').as('failing'),
    ])
    .where('status', '=', 'pending')
    .groupBy('target')
    .execute();
  return rows.map((r) => ({
    target: r.target,
    pending: Number(r.pending),
    failing: Number(r.failing),
  }));
}

/** The target's pending deliveries of these events wait for a link (link_waits says which). */
export async function markDeliveriesWaiting(
  trx: Tx,
  target: string,
  eventIds: readonly string[],
  reasonOf: (eventId: string) => string,
  now = Date.now(),
): Promise<void> {
  for (const eventId of eventIds)
    await trx
      .updateTable('deliveries')
      .set({ status: 'waiting', last_error: reasonOf(eventId), updated_at: now })
      .where('target', '=', target)
      .where('event_id', '=', eventId)
      .where('status', '=', 'pending')
      .execute();
}

/**
 * Waiting deliveries of these events back to pending under the delivery id `idFor(tier)` gives,
 * with a fresh retry window; returns those reopened, in the order given.
 */
export async function reopenWaitingDeliveries(
  trx: Tx,
  target: string,
  eventIds: readonly string[],
  idFor: (tier: DeliveriesTable['tier']) => string,
  now = Date.now(),
): Promise<Array<{ eventId: string; tier: DeliveriesTable['tier'] }>> {
  const rows = new Map<string, DeliveriesTable['tier']>();
  for (const chunk of chunks(eventIds)) {
    const found = await trx
      .selectFrom('deliveries')
      .select(['event_id', 'tier'])
      .where('target', '=', target)
      .where('status', '=', 'waiting')
      .where('event_id', 'in', chunk)
      .execute();
    for (const r of found) rows.set(r.event_id, r.tier);
  }
  const reopened = eventIds.flatMap((id) => {
    const tier = rows.get(id);
    return tier ? [{ eventId: id, tier }] : [];
  });
  for (const { eventId, tier } of reopened)
    await trx
      .updateTable('deliveries')
      .set({
        status: 'pending',
        delivery_id: idFor(tier),
        attempts: 0,
        last_error: null,
        first_attempt_at: null,
        updated_at: now,
      })
      .where('target', '=', target)
      .where('event_id', '=', eventId)
      .execute();
  return reopened;
}

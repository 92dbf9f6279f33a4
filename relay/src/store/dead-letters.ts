import type { Transaction } from 'kysely';
import type { Database, DeadLettersTable } from '../db/schema.js';
import type { Db } from './common.js';

// Every query of the `dead_letters` table: deliveries given up, for a person to replay or discard.

export type DeadLetterStatus = DeadLettersTable['status'];

/** Opens a dead letter per event for the target (again, if an earlier one was replayed). */
export async function openDeadLetters(
  trx: Transaction<Database>,
  target: string,
  letters: ReadonlyArray<{ eventId: string; attempts: number }>,
  error: string,
  now = Date.now(),
): Promise<void> {
  for (const letter of letters) {
    await trx
      .insertInto('dead_letters')
      .values({
        event_id: letter.eventId,
        target,
        last_error: error,
        attempts: letter.attempts,
        status: 'open',
        delivered_at: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['event_id', 'target']).doUpdateSet({
          last_error: error,
          attempts: letter.attempts,
          status: 'open',
          delivered_at: null,
          updated_at: now,
        }),
      )
      .execute();
  }
}

export interface DeadLetterView extends DeadLettersTable {
  entity: string;
  key: string;
  tier: string;
}

/** Dead letters with their event's entity, key and tier, newest first; optionally one status. */
export async function listDeadLetters(
  db: Db,
  options: { status?: DeadLetterStatus; limit?: number } = {},
): Promise<DeadLetterView[]> {
  let query = db
    .selectFrom('dead_letters')
    .innerJoin('events', 'events.id', 'dead_letters.event_id')
    .selectAll('dead_letters')
    .select(['events.entity', 'events.key', 'events.tier'])
    .orderBy('dead_letters.updated_at', 'desc')
    .limit(options.limit ?? 100);
  if (options.status) query = query.where('dead_letters.status', '=', options.status);
  return query.execute();
}

/** Every dead letter of one event (one per target it failed at), by target. */
export async function deadLettersOfEvent(db: Db, eventId: string): Promise<DeadLettersTable[]> {
  return db
    .selectFrom('dead_letters')
    .selectAll()
    .where('event_id', '=', eventId)
    .orderBy('target')
    .execute();
}

/** The open dead letters of these events. */
export async function openLettersOf(
  db: Db,
  eventIds: readonly string[],
): Promise<DeadLettersTable[]> {
  if (eventIds.length === 0) return [];
  return db
    .selectFrom('dead_letters')
    .selectAll()
    .where('event_id', 'in', [...eventIds])
    .where('status', '=', 'open')
    .execute();
}

export async function markReplayed(
  trx: Transaction<Database>,
  eventId: string,
  target: string,
  now = Date.now(),
): Promise<void> {
  await trx
    .updateTable('dead_letters')
    .set({ status: 'replayed', updated_at: now })
    .where('event_id', '=', eventId)
    .where('target', '=', target)
    .execute();
}

/**
 * A replayed dead letter whose delivery then went through: it says so, with the time, and no longer
 * shows the error that made it dead (the audit log keeps that).
 */
export async function markLettersDelivered(
  trx: Transaction<Database>,
  target: string,
  eventIds: readonly string[],
  now = Date.now(),
): Promise<void> {
  if (eventIds.length === 0) return;
  await trx
    .updateTable('dead_letters')
    .set({ status: 'delivered', last_error: '', delivered_at: now, updated_at: now })
    .where('target', '=', target)
    .where('event_id', 'in', [...eventIds])
    .where('status', '=', 'replayed')
    .execute();
}

/** Gives up the open dead letters of these events; returns the events that had one. */
export async function discardLetters(
  trx: Transaction<Database>,
  eventIds: readonly string[],
  now = Date.now(),
): Promise<string[]> {
  if (eventIds.length === 0) return [];
  const rows = await trx
    .updateTable('dead_letters')
    .set({ status: 'discarded', updated_at: now })
    .where('event_id', 'in', [...eventIds])
    .where('status', '=', 'open')
    .returning('event_id')
    .execute();
  return [...new Set(rows.map((r) => r.event_id))];
}

/** Open dead letters per target. */
export async function openLetterCounts(db: Db): Promise<Array<{ target: string; open: number }>> {
  const rows = await db
    .selectFrom('dead_letters')
    .select((eb) => ['target', eb.fn.countAll().as('n')])
    .where('status', '=', 'open')
    .groupBy('target')
    .execute();
  return rows.map((r) => ({ target: r.target, open: Number(r.n) }));
}

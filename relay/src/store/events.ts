import type { SyncEvent, Tier } from '@cds/shared';
import type { EventState, EventsTable } from '../db/schema.js';
import type { Tx } from '../db/transaction.js';
import { isQueuedTier, QUEUED_TIERS, type QueuedTier } from '../queue/tiers.js';
import { chunks, type Db } from './common.js';

/** An event as the ingest writes it to the log (the outbox). */
export interface LogEntry {
  event: SyncEvent;
  /** The `iss` of the token that carried it. */
  producer: string;
  tier: Tier;
  state: Extract<EventState, 'accepted' | 'parked'>;
  reason?: string;
}

const INSERT_CHUNK = 250;

/**
 * Writes events to the log in multi-row inserts; an id already logged is left as it is (the id is
 * the idempotency key). Returns the ids this call inserted: the rest were duplicates.
 */
export async function logEvents(
  db: Db,
  entries: readonly LogEntry[],
  now = Date.now(),
): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
    const rows: EventsTable[] = entries
      .slice(i, i + INSERT_CHUNK)
      .map(({ event, producer, tier, state, reason }) => ({
        id: event.id,
        source: event.source,
        producer,
        entity: event.entity,
        key: event.key,
        op: event.op,
        tier,
        schema: event.schema,
        body: JSON.stringify(event),
        state,
        reason: reason ?? null,
        attempts: 0,
        received_at: now,
        updated_at: now,
      }));
    const result = await db
      .insertInto('events')
      .values(rows)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const row of result) inserted.add(row.id);
  }
  return inserted;
}

/** Moves events to a new state, with the reason the status UIs show. */
export async function setEventState(
  db: Db,
  ids: readonly string[],
  state: EventState,
  reason: string | null,
  now = Date.now(),
): Promise<void> {
  for (const chunk of chunks(ids)) {
    await db
      .updateTable('events')
      .set({ state, reason, updated_at: now })
      .where('id', 'in', chunk)
      .execute();
  }
}

export type LoggedEvent = Omit<EventsTable, 'body'> & { event: SyncEvent };

function withEvent(row: EventsTable): LoggedEvent {
  const { body, ...rest } = row;
  return { ...rest, event: JSON.parse(body) as SyncEvent };
}

export async function getEvents(db: Db, ids: readonly string[]): Promise<LoggedEvent[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
  return rows.map(withEvent);
}

/**
 * Reads events for a decision, locking their rows on PostgreSQL (in id order, so two decisions
 * never wait on each other in a cycle): a second job with the same event waits, then sees it
 * decided. SQLite needs no row locks: its write transactions run one at a time.
 */
export async function getEventsForDecision(
  trx: Tx,
  ids: readonly string[],
): Promise<LoggedEvent[]> {
  if (ids.length === 0) return [];
  let query = trx
    .selectFrom('events')
    .selectAll()
    .where('id', 'in', [...ids])
    .orderBy('id');
  if (trx.dialect === 'postgres') query = query.forUpdate();
  return (await query.execute()).map(withEvent);
}

/** Ids of background events waiting for the next batch, oldest first. */
export async function backgroundEventIds(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('events')
    .select('id')
    .where('state', '=', 'accepted')
    .where('tier', '=', 'background')
    .orderBy('received_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Accepted events of the queued tiers unchanged since `cutoff`, oldest first: their decision job
 * may have been lost (a Redis crash or flush), so the sweeper makes sure it exists.
 */
export async function idleAcceptedEvents(
  db: Db,
  cutoff: number,
  limit: number,
): Promise<Array<{ id: string; tier: QueuedTier }>> {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'tier'])
    .where('state', '=', 'accepted')
    .where('tier', 'in', QUEUED_TIERS)
    .where('updated_at', '<=', cutoff)
    .orderBy('received_at')
    .limit(limit)
    .execute();
  return rows.flatMap(({ id, tier }) => (isQueuedTier(tier) ? [{ id, tier }] : []));
}

/** Marks accepted events as just looked at, so the next sweep leaves them be for a while. */
export async function touchAcceptedEvents(
  db: Db,
  ids: readonly string[],
  now = Date.now(),
): Promise<void> {
  for (const chunk of chunks(ids)) {
    await db
      .updateTable('events')
      .set({ updated_at: now })
      .where('id', 'in', chunk)
      .where('state', '=', 'accepted')
      .execute();
  }
}

/** Events every target now has: `delivering` becomes `applied`. */
export async function markApplied(db: Db, ids: readonly string[], now = Date.now()): Promise<void> {
  for (const chunk of chunks(ids)) {
    await db
      .updateTable('events')
      .set({ state: 'applied', updated_at: now })
      .where('id', 'in', chunk)
      .where('state', '=', 'delivering')
      .execute();
  }
}

import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { backlogByTier, EVENT_COLUMNS, eventView, iso, keyMatches } from './queries.js';

/** Open conflicts of the keys matching `keyPatterns`, newest first. */
export async function openConflicts(
  db: Kysely<Database>,
  keyPatterns: readonly string[],
  limit: number,
) {
  const rows = await db
    .selectFrom('conflicts')
    .select(['id', 'key', 'entity', 'event_ids', 'fields', 'created_at'])
    .where('status', '=', 'open')
    .where((eb) => eb.or(keyPatterns.map((pattern) => eb('key', 'like', pattern))))
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((c) => ({
    id: c.id,
    key: c.key,
    entity: c.entity,
    eventIds: JSON.parse(c.event_ids) as string[],
    fields: JSON.parse(c.fields) as string[],
    createdAt: iso(c.created_at),
  }));
}

/** Open dead letters of the events whose keys match `keyPatterns`, newest first. */
export async function openDeadLetters(
  db: Kysely<Database>,
  keyPatterns: readonly string[],
  limit: number,
) {
  const rows = await db
    .selectFrom('dead_letters')
    .innerJoin('events', 'events.id', 'dead_letters.event_id')
    .select([
      'dead_letters.event_id',
      'dead_letters.target',
      'dead_letters.last_error',
      'dead_letters.attempts',
      'dead_letters.updated_at',
      'events.key',
      'events.entity',
    ])
    .where('dead_letters.status', '=', 'open')
    .where(keyMatches(keyPatterns))
    .orderBy('dead_letters.updated_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((d) => ({
    eventId: d.event_id,
    key: d.key,
    entity: d.entity,
    target: d.target,
    lastError: d.last_error,
    attempts: d.attempts,
    updatedAt: iso(d.updated_at),
  }));
}

/**
 * What the LTI tool's page shows for one course (issue 10): per-tier backlog and lag, the newest
 * events with their state and reason, the open conflicts and the open dead letters, limited to
 * the keys the reader may see (`keyPatterns`, status/scope.ts).
 */
export async function courseStatus(
  db: Kysely<Database>,
  course: string,
  keyPatterns: readonly string[],
  options: { limit: number; now?: number },
) {
  const [backlog, recent, conflicts, deadLetters] = await Promise.all([
    backlogByTier(db, options.now, keyPatterns),
    db
      .selectFrom('events')
      .select(EVENT_COLUMNS)
      .where(keyMatches(keyPatterns))
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit)
      .execute(),
    openConflicts(db, keyPatterns, options.limit),
    openDeadLetters(db, keyPatterns, options.limit),
  ]);
  return { course, backlog, recent: recent.map(eventView), conflicts, deadLetters };
}

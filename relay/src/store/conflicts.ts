import type { Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { EntityType } from '@cds/shared';
import type { Database } from '../db/schema.js';
import { chunks } from './common.js';

/**
 * Opens (or widens) the conflict of an entity key: one open whole-entity conflict per key, listing
 * every concurrent version a person chooses between. Returns the conflict id.
 */
export async function openConflict(
  trx: Transaction<Database>,
  conflict: { key: string; entity: EntityType; eventIds: string[]; fields?: string[] },
  now = Date.now(),
): Promise<string> {
  const fields = JSON.stringify(conflict.fields ?? []);
  const existing = await trx
    .selectFrom('conflicts')
    .select('id')
    .where('key', '=', conflict.key)
    .where('status', '=', 'open')
    .where('fields', '=', fields)
    .executeTakeFirst();
  if (existing) {
    await trx
      .updateTable('conflicts')
      .set({ event_ids: JSON.stringify(conflict.eventIds) })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  const id = uuidv7();
  await trx
    .insertInto('conflicts')
    .values({
      id,
      key: conflict.key,
      entity: conflict.entity,
      event_ids: JSON.stringify(conflict.eventIds),
      fields,
      status: 'open',
      resolution: null,
      created_at: now,
      resolved_at: null,
    })
    .execute();
  return id;
}

/** The keys, among these, that have an open whole-entity conflict (what `settleConflicts` closes). */
export async function keysWithOpenConflicts(
  trx: Transaction<Database>,
  keys: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks([...new Set(keys)])) {
    const rows = await trx
      .selectFrom('conflicts')
      .select('key')
      .where('key', 'in', chunk)
      .where('status', '=', 'open')
      .where('fields', '=', '[]')
      .execute();
    for (const row of rows) found.add(row.key);
  }
  return found;
}

/** Closes the open whole-entity conflicts of a key that a newer version has settled. */
export async function settleConflicts(
  trx: Transaction<Database>,
  key: string,
  resolution: string,
  now = Date.now(),
): Promise<string[]> {
  const open = await trx
    .selectFrom('conflicts')
    .select('id')
    .where('key', '=', key)
    .where('status', '=', 'open')
    .where('fields', '=', '[]')
    .execute();
  if (open.length === 0) return [];
  const ids = open.map((row) => row.id);
  await trx
    .updateTable('conflicts')
    .set({ status: 'resolved', resolution, resolved_at: now })
    .where('id', 'in', ids)
    .execute();
  return ids;
}

import { sql, type Transaction } from 'kysely';
import type { EntityState, EntityType } from '@cds/shared';
import type { Database } from '../db/schema.js';
import type { Tx } from '../db/transaction.js';

/** Reads an entity's stored state, locking its row on PostgreSQL until the transaction ends. */
export async function loadSyncState(trx: Tx, key: string): Promise<EntityState | undefined> {
  let query = trx.selectFrom('sync_state').select('state').where('key', '=', key);
  if (trx.dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? (JSON.parse(row.state) as EntityState) : undefined;
}

/**
 * Locks entity keys for the rest of the transaction on PostgreSQL, whether or not their row exists
 * yet (a row lock cannot cover a key seen for the first time, and two first versions decided at
 * once would otherwise overwrite each other). Transaction-scoped advisory locks, taken in one
 * statement in ascending lock-id order so concurrent decisions never deadlock.
 */
export async function lockKeys(trx: Tx, keys: readonly string[]): Promise<void> {
  if (trx.dialect !== 'postgres' || keys.length === 0) return;
  await sql`select pg_advisory_xact_lock(lock_id) from (
      select distinct hashtextextended(k, 0) as lock_id from unnest(${[...new Set(keys)]}::text[]) as k
      order by lock_id
    ) as ordered`.execute(trx);
}

export interface SyncStateWrite {
  key: string;
  entity: EntityType;
  state: EntityState;
  status: string;
  reason: string;
  lastEventId: string;
}

export async function saveSyncState(
  trx: Transaction<Database>,
  write: SyncStateWrite,
  now = Date.now(),
): Promise<void> {
  const row = {
    key: write.key,
    entity: write.entity,
    state: JSON.stringify(write.state),
    status: write.status,
    reason: write.reason,
    last_event_id: write.lastEventId,
    updated_at: now,
  };
  await trx
    .insertInto('sync_state')
    .values(row)
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        state: row.state,
        status: row.status,
        reason: row.reason,
        last_event_id: row.last_event_id,
        updated_at: now,
      }),
    )
    .execute();
}

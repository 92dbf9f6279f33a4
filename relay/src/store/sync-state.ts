import { sql } from 'kysely';
import { resolveState, type EntityState, type EntityType, type PolicyTable } from '@cds/shared';
import type { Tx } from '../db/transaction.js';
import { chunks, type Db } from './common.js';

/**
 * Reads the stored state of every key a decision batch touches, in one query per 500 keys, locking
 * the rows on PostgreSQL until the transaction ends.
 */
export async function loadSyncStates(
  trx: Tx,
  keys: readonly string[],
): Promise<Map<string, EntityState>> {
  const states = new Map<string, EntityState>();
  for (const chunk of chunks([...new Set(keys)])) {
    let query = trx.selectFrom('sync_state').select(['key', 'state']).where('key', 'in', chunk);
    if (trx.dialect === 'postgres') query = query.forUpdate();
    for (const row of await query.execute())
      states.set(row.key, JSON.parse(row.state) as EntityState);
  }
  return states;
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

/** Writes the new state of each key (one row each), in multi-row upserts. */
export async function saveSyncStates(
  trx: Tx,
  writes: readonly SyncStateWrite[],
  now = Date.now(),
): Promise<void> {
  // Seven columns a row: 200 rows stay well under the parameter limits.
  for (const chunk of chunks(writes, 200)) {
    const rows = chunk.map((write) => ({
      key: write.key,
      entity: write.entity,
      state: JSON.stringify(write.state),
      status: write.status,
      reason: write.reason,
      last_event_id: write.lastEventId,
      updated_at: now,
    }));
    await trx
      .insertInto('sync_state')
      .values(rows)
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          status: eb.ref('excluded.status'),
          reason: eb.ref('excluded.reason'),
          last_event_id: eb.ref('excluded.last_event_id'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/** The value each key's state resolves to now (what a delivery carries), by key. */
export async function resolvedValues(
  db: Db,
  keys: readonly string[],
  policies: PolicyTable,
): Promise<Map<string, Record<string, unknown> | null>> {
  const values = new Map<string, Record<string, unknown> | null>();
  for (const chunk of chunks([...new Set(keys)])) {
    const rows = await db
      .selectFrom('sync_state')
      .select(['key', 'entity', 'state'])
      .where('key', 'in', chunk)
      .execute();
    for (const row of rows)
      values.set(
        row.key,
        resolveState(policies[row.entity], JSON.parse(row.state) as EntityState).value,
      );
  }
  return values;
}

import { sql, type Transaction } from 'kysely';
import type { Store } from './connect.js';
import type { Database } from './schema.js';

/**
 * Runs `work` in a transaction that may read and then write, safely beside other processes.
 * SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a read-then-write never fails with
 * SQLITE_BUSY half-way (other processes wait on busy_timeout). PostgreSQL: an ordinary transaction;
 * callers lock the rows they read with `forUpdate()` (see `lockForUpdate`).
 */
export async function writeTransaction<T>(
  store: Store,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().execute(work);
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      // Kysely's Transaction type is a Kysely bound to one connection: the same thing here.
      const result = await work(connection as unknown as Transaction<Database>);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}

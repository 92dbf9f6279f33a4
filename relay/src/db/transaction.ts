import { sql, type Transaction } from 'kysely';
import type { DialectName, Store } from './connect.js';
import type { Database } from './schema.js';

/**
 * A write transaction that knows its database's dialect, bound once here, so queries that lock
 * rows on PostgreSQL (and need no locks on SQLite) are not handed the dialect by every caller.
 */
export type Tx = Transaction<Database> & { readonly dialect: DialectName };

function bind(trx: Transaction<Database>, dialect: DialectName): Tx {
  return Object.assign(trx, { dialect });
}

/**
 * Runs `work` in a transaction that may read and then write, safely beside other processes.
 * SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a read-then-write never fails with
 * SQLITE_BUSY half-way (other processes wait on busy_timeout). PostgreSQL: an ordinary transaction;
 * callers lock the rows they read with `forUpdate()` (see `lockForUpdate`).
 */
export async function writeTransaction<T>(store: Store, work: (tx: Tx) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres')
    return store.db.transaction().execute((trx) => work(bind(trx, 'postgres')));
  return store.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      // Kysely's Transaction type is a Kysely bound to one connection: the same thing here.
      const result = await work(bind(connection as unknown as Transaction<Database>, 'sqlite'));
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}

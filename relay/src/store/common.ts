import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/** What a store query runs on: the database, or a transaction of it. */
export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Splits `items` for `in (...)` lists and multi-row statements: 500 ids, or fewer rows for wide
 * inserts, stays well under both databases' parameter limits.
 */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

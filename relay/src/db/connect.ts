import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase as KyselySqliteDatabase,
} from 'kysely';
import pg from 'pg';
import { maskUrl, parseDatabaseUrl } from '../settings/connections.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open, migrated store. `close()` is idempotent. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The URL with any password masked, for logs. */
  description: string;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds, well inside Number's exact range.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function sqliteDialect(path: string): SqliteDialect {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SqliteDatabase(path);
  // WAL lets readers run beside the writer; busy_timeout makes other processes wait, not fail.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 10000');
  return new SqliteDialect({ database: withStatementCache(database) });
}

/** Statements kept prepared; queries with `in (...)` lists vary, so the cache is bounded. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, and preparing costs SQLite about as much as running a small
 * statement: reuse prepared statements by SQL text (least recently used dropped first). Safe with
 * better-sqlite3, whose statements run synchronously, one at a time.
 */
function withStatementCache(database: SqliteDatabase.Database): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => void database.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/**
 * Opens the store named by a DATABASE_URL: `sqlite:<path>` (relative to the working directory, or
 * `sqlite::memory:`) or `postgres://...`; runs the migrations.
 */
export async function openStore(url: string, options: { poolSize?: number } = {}): Promise<Store> {
  const target = parseDatabaseUrl(url); // InvalidConfig naming DATABASE_URL and the fix
  const dialect: DialectName = target.dialect;
  let kysely: Kysely<Database>;
  if (target.dialect === 'sqlite') {
    kysely = new Kysely<Database>({ dialect: sqliteDialect(target.path) });
  } else {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types: pgTypes,
    });
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    await migrateToLatest(kysely as Kysely<unknown>, dialect);
  } catch (error) {
    await kysely.destroy();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    db: kysely,
    dialect,
    description: maskUrl(url),
    close: () => (closing ??= kysely.destroy()),
  };
}

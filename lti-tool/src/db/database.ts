// ltijs keeps its platforms, keys, nonces and launch state through ltijs-sequelize, on the relay's
// database (DATABASE_URL): no MongoDB. github.com/Cvmcosta/ltijs-sequelize (README: "Usage").
import { basename, dirname, extname, join } from 'node:path';
import pg from 'pg';
import sqlite3 from 'sqlite3';
import type { Options } from 'sequelize';
import Database from 'ltijs-sequelize';
import { parseDatabaseUrl } from '@cds/relay';

/**
 * Where ltijs's SQLite tables go for a relay SQLite file: a file of their own beside it
 * (`cds.sqlite` -> `cds.lti.sqlite`). Sharing the relay's file would put two drivers (the relay's
 * better-sqlite3, Sequelize's node-sqlite3) on one write lock, and node-sqlite3 gives up with
 * SQLITE_BUSY instead of waiting; ltijs's generic table names (`platforms`, `states`) would also
 * sit among the relay's.
 */
export function ltiSqlitePath(relayPath: string): string {
  if (relayPath === ':memory:') return relayPath;
  const ext = extname(relayPath);
  const known = ['.sqlite', '.sqlite3', '.db'].includes(ext);
  const stem = basename(relayPath, known ? ext : '');
  return join(dirname(relayPath), `${stem}.lti${known ? ext : '.sqlite'}`);
}

/** A human-readable "where": the SQLite file, or the PostgreSQL database. */
export function describeLtiDatabase(databaseUrl: string): string {
  const target = parseDatabaseUrl(databaseUrl);
  return target.dialect === 'sqlite'
    ? `sqlite:${ltiSqlitePath(target.path)}`
    : `postgres ${target.host || 'socket'}:${target.port}/${target.database}`;
}

/** The ltijs-sequelize plugin for DATABASE_URL (not connected until `setup()`). */
export function openLtiDatabase(databaseUrl: string): Database {
  const target = parseDatabaseUrl(databaseUrl);
  const common: Options = { logging: false };
  if (target.dialect === 'sqlite') {
    return new Database('', '', '', {
      ...common,
      dialect: 'sqlite',
      storage: ltiSqlitePath(target.path),
      // Sequelize loads its driver by name from its own folder; hand it ours instead.
      dialectModule: sqlite3,
      // One connection: SQLite serialises writes anyway, and :memory: is per connection.
      pool: { max: 1, min: 0 },
    });
  }
  // libpq's `options` parameter carries settings such as search_path (the tests' schemas).
  const options = new URL(databaseUrl).searchParams.get('options');
  // ltijs-sequelize's migration names its table with Sequelize's default schema, "public" unless
  // told: tell it the first schema of the search_path, where Sequelize creates the tables.
  const schema = /search_path\s*=\s*"?([A-Za-z_][\w$]*)/.exec(options ?? '')?.[1];
  return new Database(target.database, target.user, target.password, {
    ...common,
    dialect: 'postgres',
    host: target.host || undefined,
    port: target.port,
    dialectModule: pg,
    pool: { max: 4, min: 0 },
    ...(options ? { dialectOptions: { options } } : {}),
    ...(schema ? { schema } : {}),
  });
}

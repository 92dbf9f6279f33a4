import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Every migration, in order, as code: no files to find at run time, the same for SQLite and
 * PostgreSQL (only portable column types: text, integer, bigint).
 */
/** Every migration, in order; a few depend on the database they run on. */
const migrations = (dialect: 'sqlite' | 'postgres'): Record<string, Migration> => ({
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('producer', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('schema', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('events_state_idx')
        .on('events')
        .columns(['state', 'received_at'])
        .execute();
      await db.schema.createIndex('events_key_idx').on('events').column('key').execute();

      await db.schema
        .createTable('sync_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('last_event_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('conflicts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('event_ids', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('resolution', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('conflicts_status_idx')
        .on('conflicts')
        .columns(['status', 'key'])
        .execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('deliveries_pk', ['event_id', 'target'])
        .execute();
      await db.schema
        .createIndex('deliveries_status_idx')
        .on('deliveries')
        .columns(['status', 'updated_at'])
        .execute();

      await db.schema
        .createTable('dead_letters')
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('dead_letters_pk', ['event_id', 'target'])
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_subject_idx').on('audit').column('subject').execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('seen_tokens')
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('seen_tokens_expiry_idx')
        .on('seen_tokens')
        .column('expires_at')
        .execute();

      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);
    },
  },
  // Deliveries retry over a time window from their first attempt; a replayed dead letter that
  // then went through says so.
  '0002_delivery_window': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deliveries').addColumn('first_attempt_at', 'bigint').execute();
      await db.schema.alterTable('dead_letters').addColumn('delivered_at', 'bigint').execute();
    },
  },
  '0003_sqlite_planner_stats': {
    async up(db: Kysely<unknown>) {
      if (dialect === 'sqlite') await seedSqliteStats(db);
    },
  },
  // Where the Discourse reconciliation poller stopped (relay/src/intake/discourse/poller.ts).
  '0004_discourse_poll_cursor': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('discourse_poll_cursor')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('post_id', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  // Links (DESIGN.md section 3b): courses to categories and groups, Canvas users to Discourse
  // accounts, what the relay knows of each Canvas user to find their account, the deliveries
  // that wait for a link, and the one-use requests of the self-service User API key flow.
  '0005_links': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('course_links')
        .addColumn('course_id', 'text', (c) => c.primaryKey())
        .addColumn('category_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('category_name', 'text', (c) => c.notNull())
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('made_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_links')
        .addColumn('canvas_user_id', 'text', (c) => c.primaryKey())
        .addColumn('discourse_user_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('discourse_username', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('made_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('canvas_identities')
        .addColumn('canvas_user_id', 'text', (c) => c.primaryKey())
        .addColumn('lti_sub', 'text')
        .addColumn('sis_user_id', 'text')
        .addColumn('login_id', 'text')
        .addColumn('email', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('link_waits')
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('need', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('link_waits_pk', ['event_id', 'target'])
        .execute();
      await db.schema
        .createIndex('link_waits_need_idx')
        .on('link_waits')
        .columns(['need', 'received_at'])
        .execute();
      // A user link a person removed: never made again automatically (external id, e-mail).
      await db.schema
        .createTable('user_link_optouts')
        .addColumn('canvas_user_id', 'text', (c) => c.primaryKey())
        .addColumn('removed_by', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('link_requests')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('canvas_user_id', 'text', (c) => c.notNull())
        .addColumn('course_id', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
});

/**
 * Typical sizes for SQLite's query planner (sqlite_stat1, as ANALYZE writes it: rows, then rows per
 * distinct value of the first 1..n index columns). Without them SQLite guesses that `status =
 * 'pending'` narrows a table to ten rows, and answers `status = ? and event_id in (100 ids)` by
 * scanning every pending delivery through the status index instead of 100 primary-key look-ups: a
 * 100k backlog drained five times slower. A later ANALYZE replaces these with measured figures.
 */
const SQLITE_STATS: ReadonlyArray<[table: string, index: string, stat: string]> = [
  ['events', 'sqlite_autoindex_events_1', '1000000 1'],
  ['events', 'events_state_idx', '1000000 200000 2'],
  ['events', 'events_key_idx', '1000000 4'],
  ['deliveries', 'sqlite_autoindex_deliveries_1', '1000000 2 1'],
  ['deliveries', 'deliveries_status_idx', '1000000 300000 2'],
  ['dead_letters', 'sqlite_autoindex_dead_letters_1', '10000 2 1'],
  ['sync_state', 'sqlite_autoindex_sync_state_1', '500000 1'],
  ['audit', 'sqlite_autoindex_audit_1', '2000000 1'],
  ['audit', 'audit_subject_idx', '2000000 3'],
];

async function seedSqliteStats(db: Kysely<unknown>): Promise<void> {
  await sql`analyze sqlite_schema`.execute(db); // creates sqlite_stat1
  for (const [table, index, stat] of SQLITE_STATS) {
    await sql`delete from sqlite_stat1 where tbl = ${table} and idx = ${index}`.execute(db);
    await sql`insert into sqlite_stat1 (tbl, idx, stat) values (${table}, ${index}, ${stat})`.execute(
      db,
    );
  }
  await sql`analyze sqlite_schema`.execute(db); // loads them into this connection's planner
}

/** The `prev_hash` of the first audit record. */
export const GENESIS_HASH = '0'.repeat(64);

class InlineMigrations implements MigrationProvider {
  constructor(private readonly set: Record<string, Migration>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return this.set;
  }
}

/**
 * Runs `set` to its newest migration, recorded in `historyTable` (Kysely's default for the
 * relay's own). Throws with the failing migration's name.
 */
async function runMigrations(
  db: Kysely<unknown>,
  dialect: 'sqlite' | 'postgres',
  set: Record<string, Migration>,
  historyTable?: string,
): Promise<void> {
  // Kysely looks for its migration tables in every schema it can see unless told which one: name
  // the connection's own, or a database with another app's schema (or a second relay's) would
  // make it skip creating them here.
  const migrationTableSchema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]
          ?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new InlineMigrations(set),
    migrationTableSchema,
    ...(historyTable && {
      migrationTableName: historyTable,
      migrationLockTableName: `${historyTable}_lock`,
    }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Brings the database to the relay's newest schema; throws with the failing migration's name. */
export function migrateToLatest(
  db: Kysely<unknown>,
  dialect: 'sqlite' | 'postgres',
): Promise<void> {
  return runMigrations(db, dialect, migrations(dialect));
}

/**
 * Another package's tables in the relay's database (the LTI tool's outbox, its writer's records):
 * its own migrations with their own history table `<name>_migration`, so they never mix with the
 * relay's list. Safe to run on every start and from several processes (Kysely's migration lock).
 */
export function migrateTables(
  db: Kysely<unknown>,
  dialect: 'sqlite' | 'postgres',
  name: string,
  set: Record<string, Migration>,
): Promise<void> {
  return runMigrations(db, dialect, set, `${name}_migration`);
}

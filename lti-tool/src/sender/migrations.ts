// Migrations of the capture tables, kept apart from the relay's list (`migrateTables` gives them
// their own history table); each step is idempotent (`if not exists`) as well.
import type { Kysely, Migration } from 'kysely';
import { migrateTables, type Store } from '@cds/relay';

/** The capture tables, as migrations of their own (history in `canvas_capture_migration`). */
const captureMigrations = (dialect: Store['dialect']): Record<string, Migration> => ({
  '0001_canvas_capture': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('canvas_outbox')
        .ifNotExists()
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('canvas_outbox_state_idx')
        .ifNotExists()
        .on('canvas_outbox')
        .columns(['state', 'seq'])
        .execute();
      await db.schema
        .createTable('canvas_last_sent')
        .ifNotExists()
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('entity', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('canvas_poll_cursors')
        .ifNotExists()
        .addColumn('course_id', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('canvas_poll_cursors_pk', ['course_id', 'stream'])
        .execute();
    },
  },
});

/** Brings the capture tables up to date (the relay's own migrations ran in `openStore`). */
export function migrateCapture(store: Store): Promise<void> {
  return migrateTables(
    store.db as unknown as Kysely<unknown>,
    store.dialect,
    'canvas_capture',
    captureMigrations(store.dialect),
  );
}

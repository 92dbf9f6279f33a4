// Migrations of the capture tables, kept apart from the relay's (its Kysely Migrator owns
// `kysely_migration`): a small ordered list recorded in `canvas_capture_migrations`. Each step is
// idempotent (`if not exists`), so two processes starting together cannot break it.
import type { Store } from '@cds/relay';
import { captureDb, type CaptureDb } from './schema.js';

type Step = (db: CaptureDb, dialect: Store['dialect']) => Promise<void>;

const MIGRATIONS: Array<[name: string, up: Step]> = [
  [
    '0001_canvas_capture',
    async (db, dialect) => {
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
  ],
];

/** Brings the capture tables up to date (the relay's own migrations ran in `openStore`). */
export async function migrateCapture(store: Store): Promise<void> {
  const db = captureDb(store);
  await db.schema
    .createTable('canvas_capture_migrations')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  const done = new Set(
    (await db.selectFrom('canvas_capture_migrations').select('name').execute()).map((r) => r.name),
  );
  for (const [name, up] of MIGRATIONS) {
    if (done.has(name)) continue;
    await up(db, store.dialect);
    await db
      .insertInto('canvas_capture_migrations')
      .values({ name, applied_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
}

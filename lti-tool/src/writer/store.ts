// What the Canvas writer remembers (DESIGN.md section 5b: receivers apply a delivery id once): the
// deliveries it answered, each event's outcome (so a retry after a partial failure skips what was
// written), and the forum posts that make up each student's participation score. Kysely on the
// relay's DATABASE_URL (SQLite or PostgreSQL), in tables of its own, created by its own migration.
import type { Kysely, Migration } from 'kysely';
import { migrateTables, openStore, type Store } from '@cds/relay';

export type WriterTables = {
  lti_writer_deliveries: { delivery_id: string; rejected: string; applied_at: number };
  lti_writer_events: {
    delivery_id: string;
    event_id: string;
    outcome: 'applied' | 'rejected';
    reason: string | null;
  };
  lti_writer_forum_posts: {
    post_id: string;
    course_id: string;
    canvas_user_id: string;
    live: number;
    updated_at: number;
  };
  /** Canvas pages the writer created for a content key whose page Canvas did not have. */
  lti_writer_content: {
    course_id: string;
    content_type: string;
    content_id: string;
    canvas_id: string;
    created_at: number;
  };
};

export type Rejection = { eventId: string; reason: string };
/** An applied event may carry a note: what was skipped or done instead (kept, not a failure). */
export type EventOutcome =
  { outcome: 'applied'; note?: string } | { outcome: 'rejected'; reason: string };

/** The writer's tables, as migrations of their own (history in `lti_writer_migration`). */
const WRITER_MIGRATIONS: Record<string, Migration> = {
  '0001_writer': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('lti_writer_deliveries')
        .ifNotExists()
        .addColumn('delivery_id', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('rejected', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('lti_writer_events')
        .ifNotExists()
        .addColumn('delivery_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('event_id', 'varchar(200)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addPrimaryKeyConstraint('lti_writer_events_pk', ['delivery_id', 'event_id'])
        .execute();
      await db.schema
        .createTable('lti_writer_forum_posts')
        .ifNotExists()
        .addColumn('post_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('course_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('canvas_user_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('live', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('lti_writer_forum_posts_by_user')
        .ifNotExists()
        .on('lti_writer_forum_posts')
        .columns(['course_id', 'canvas_user_id'])
        .execute();
    },
  },
  '0002_writer_content': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('lti_writer_content')
        .ifNotExists()
        .addColumn('course_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('content_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('content_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('canvas_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('lti_writer_content_pk', [
          'course_id',
          'content_type',
          'content_id',
        ])
        .execute();
    },
  },
};

const migrate = (store: Store) =>
  migrateTables(
    store.db as unknown as Kysely<unknown>,
    store.dialect,
    'lti_writer',
    WRITER_MIGRATIONS,
  );

export class WriterStore {
  private constructor(private readonly store: Store) {}

  /** Opens DATABASE_URL (migrating the relay's schema and the writer's tables). */
  static async open(databaseUrl: string): Promise<WriterStore> {
    const store = await openStore(databaseUrl, { poolSize: 4 });
    try {
      await migrate(store);
    } catch (error) {
      await store.close();
      throw error;
    }
    return new WriterStore(store);
  }

  private get db() {
    return this.store.db.withTables<WriterTables>();
  }

  /** The answer already given for a delivery id, if it was completed. */
  async completed(deliveryId: string): Promise<Rejection[] | undefined> {
    const row = await this.db
      .selectFrom('lti_writer_deliveries')
      .select('rejected')
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.rejected) as Rejection[]) : undefined;
  }

  /** Outcomes recorded for a delivery's events by an earlier, unfinished attempt. */
  async outcomes(deliveryId: string): Promise<Map<string, EventOutcome>> {
    const rows = await this.db
      .selectFrom('lti_writer_events')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .execute();
    return new Map(
      rows.map((r): [string, EventOutcome] => [
        r.event_id,
        r.outcome === 'applied'
          ? r.reason === null
            ? { outcome: 'applied' }
            : { outcome: 'applied', note: r.reason }
          : { outcome: 'rejected', reason: r.reason ?? 'rejected' },
      ]),
    );
  }

  async recordOutcome(deliveryId: string, eventId: string, outcome: EventOutcome): Promise<void> {
    await this.db
      .insertInto('lti_writer_events')
      .values({
        delivery_id: deliveryId,
        event_id: eventId,
        outcome: outcome.outcome,
        // An applied event's note shares the reason column.
        reason: outcome.outcome === 'rejected' ? outcome.reason : (outcome.note ?? null),
      })
      .onConflict((oc) => oc.columns(['delivery_id', 'event_id']).doNothing())
      .execute();
  }

  /** Marks the delivery answered: a retry gets the same answer and writes nothing. */
  async complete(deliveryId: string, rejected: Rejection[], now = Date.now()): Promise<void> {
    await this.db
      .insertInto('lti_writer_deliveries')
      .values({ delivery_id: deliveryId, rejected: JSON.stringify(rejected), applied_at: now })
      .onConflict((oc) => oc.column('delivery_id').doNothing())
      .execute();
  }

  /** Records a forum post (or its deletion) for the participation tally; idempotent by post id. */
  async notePost(post: {
    postId: string;
    courseId: string;
    canvasUserId: string;
    live: boolean;
    now?: number;
  }): Promise<void> {
    const values = {
      post_id: post.postId,
      course_id: post.courseId,
      canvas_user_id: post.canvasUserId,
      live: post.live ? 1 : 0,
      updated_at: post.now ?? Date.now(),
    };
    await this.db
      .insertInto('lti_writer_forum_posts')
      .values(values)
      .onConflict((oc) =>
        oc.column('post_id').doUpdateSet({
          course_id: values.course_id,
          canvas_user_id: values.canvas_user_id,
          live: values.live,
          updated_at: values.updated_at,
        }),
      )
      .execute();
  }

  /** How many live posts a student has in a course. */
  async postCount(courseId: string, canvasUserId: string): Promise<number> {
    const row = await this.db
      .selectFrom('lti_writer_forum_posts')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('course_id', '=', courseId)
      .where('canvas_user_id', '=', canvasUserId)
      .where('live', '=', 1)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Who wrote a post and in which course, as recorded when it was first seen. */
  async postOwner(postId: string): Promise<{ courseId: string; canvasUserId: string } | undefined> {
    const row = await this.db
      .selectFrom('lti_writer_forum_posts')
      .select(['course_id', 'canvas_user_id'])
      .where('post_id', '=', postId)
      .executeTakeFirst();
    return row ? { courseId: row.course_id, canvasUserId: row.canvas_user_id } : undefined;
  }

  /** The Canvas page the writer created for a content key, if it created one. */
  async contentTarget(
    courseId: string,
    contentType: string,
    contentId: string,
  ): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('lti_writer_content')
      .select('canvas_id')
      .where('course_id', '=', courseId)
      .where('content_type', '=', contentType)
      .where('content_id', '=', contentId)
      .executeTakeFirst();
    return row?.canvas_id;
  }

  /** Remembers the page created for a content key, so its next edits update that page. */
  async noteContentTarget(
    courseId: string,
    contentType: string,
    contentId: string,
    canvasId: string,
    now = Date.now(),
  ): Promise<void> {
    await this.db
      .insertInto('lti_writer_content')
      .values({
        course_id: courseId,
        content_type: contentType,
        content_id: contentId,
        canvas_id: canvasId,
        created_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['course_id', 'content_type', 'content_id'])
          .doUpdateSet({ canvas_id: canvasId }),
      )
      .execute();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

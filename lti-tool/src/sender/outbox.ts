// The durable outbox between Canvas and the relay: the intake and the poller write what they
// captured here (before answering Canvas, before advancing a cursor); the sender drains it. Every
// query of the capture tables' outbox side lives here (CONVENTIONS.md #15).
import type { Store } from '@cds/relay';
import type { SyncEvent } from '@cds/shared';
import { changedAt, fingerprint } from './fingerprint.js';
import { migrateCapture } from './migrations.js';
import { captureDb, type CaptureDb, type CaptureOrigin, type OutboxState } from './schema.js';

/** What happened to one captured event. */
export interface EnqueueResult {
  id: string;
  key: string;
  /** `stored`: new content, queued for the relay; `unchanged`: the relay already has it (or newer). */
  status: 'stored' | 'unchanged';
}

/** A poller cursor moved in the same transaction as the events it covers. */
export interface CursorUpdate {
  courseId: string;
  stream: string;
  cursor: string;
}

export interface OutboxRow {
  seq: number;
  event: SyncEvent;
  origin: CaptureOrigin;
  state: OutboxState;
  reason: string | null;
  attempts: number;
}

export class CanvasOutbox {
  private readonly db: CaptureDb;

  private constructor(readonly store: Store) {
    this.db = captureDb(store);
  }

  /** Opens the outbox over an open store (the relay's, or `openStore(DATABASE_URL)`), migrating it. */
  static async open(store: Store): Promise<CanvasOutbox> {
    await migrateCapture(store);
    return new CanvasOutbox(store);
  }

  /**
   * Writes captured events, in order, in one transaction: each one whose content differs from
   * what was last queued for its key, and is not older than it, is queued; the others are
   * `unchanged`. The same Live Event delivered twice, or a change seen by both the Live Events
   * and the poller, is therefore queued once. `cursor`, when given, moves in the same transaction.
   */
  async enqueue(
    events: readonly SyncEvent[],
    origin: CaptureOrigin,
    cursor?: CursorUpdate,
  ): Promise<EnqueueResult[]> {
    if (events.length === 0 && !cursor) return [];
    const now = Date.now();
    return this.db.transaction().execute(async (trx) => {
      const results: EnqueueResult[] = [];
      for (const event of events) {
        // One statement decides, so two writers racing on a key (PostgreSQL) cannot both win.
        const changed = await trx
          .insertInto('canvas_last_sent')
          .values({
            key: event.key,
            entity: event.entity,
            fingerprint: fingerprint(event),
            changed_at: changedAt(event),
            event_id: event.id,
          })
          .onConflict((oc) =>
            oc
              .column('key')
              .doUpdateSet((eb) => ({
                fingerprint: eb.ref('excluded.fingerprint'),
                changed_at: eb.ref('excluded.changed_at'),
                event_id: eb.ref('excluded.event_id'),
              }))
              .where((eb) =>
                eb.and([
                  eb('canvas_last_sent.fingerprint', '<>', eb.ref('excluded.fingerprint')),
                  eb('canvas_last_sent.changed_at', '<=', eb.ref('excluded.changed_at')),
                ]),
              ),
          )
          .returning('key')
          .executeTakeFirst();
        if (!changed) {
          results.push({ id: event.id, key: event.key, status: 'unchanged' });
          continue;
        }
        await trx
          .insertInto('canvas_outbox')
          .values({
            event_id: event.id,
            entity: event.entity,
            key: event.key,
            origin,
            event: JSON.stringify(event),
            state: 'pending',
            reason: null,
            attempts: 0,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('event_id').doNothing())
          .execute();
        results.push({ id: event.id, key: event.key, status: 'stored' });
      }
      if (cursor) {
        await trx
          .insertInto('canvas_poll_cursors')
          .values({
            course_id: cursor.courseId,
            stream: cursor.stream,
            cursor: cursor.cursor,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc
              .columns(['course_id', 'stream'])
              .doUpdateSet({ cursor: cursor.cursor, updated_at: now }),
          )
          .execute();
      }
      return results;
    });
  }

  /** The oldest pending events, in the order they were captured. */
  pending(limit: number): Promise<OutboxRow[]> {
    return this.list('pending', limit);
  }

  /** Records the relay's verdict on sent events: done, or refused for good with the reason. */
  async settle(
    outcomes: ReadonlyArray<{
      id: string;
      state: Exclude<OutboxState, 'pending'>;
      reason?: string;
    }>,
  ): Promise<void> {
    if (outcomes.length === 0) return;
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      const done = outcomes.filter((o) => o.state === 'done').map((o) => o.id);
      if (done.length > 0)
        await trx
          .updateTable('canvas_outbox')
          .set((eb) => ({
            state: 'done',
            reason: null,
            attempts: eb('attempts', '+', 1),
            updated_at: now,
          }))
          .where('event_id', 'in', done)
          .execute();
      for (const o of outcomes.filter((x) => x.state !== 'done'))
        await trx
          .updateTable('canvas_outbox')
          .set((eb) => ({
            state: o.state,
            reason: o.reason ?? null,
            attempts: eb('attempts', '+', 1),
            updated_at: now,
          }))
          .where('event_id', '=', o.id)
          .execute();
    });
  }

  /** Notes a transient failure on events still pending (visible while they wait). */
  async noteFailure(ids: readonly string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('canvas_outbox')
      .set((eb) => ({ reason, attempts: eb('attempts', '+', 1), updated_at: Date.now() }))
      .where('event_id', 'in', [...ids])
      .where('state', '=', 'pending')
      .execute();
  }

  /** Rows in a state (e.g. the rejected ones, with their reasons), oldest first. */
  async list(state: OutboxState, limit = 100): Promise<OutboxRow[]> {
    const rows = await this.db
      .selectFrom('canvas_outbox')
      .selectAll()
      .where('state', '=', state)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      event: JSON.parse(r.event) as SyncEvent,
      origin: r.origin,
      state: r.state,
      reason: r.reason,
      attempts: r.attempts,
    }));
  }

  /** How many rows are in each state. */
  async counts(): Promise<Record<OutboxState, number>> {
    const rows = await this.db
      .selectFrom('canvas_outbox')
      .select((eb) => ['state', eb.fn.countAll<number | string>().as('n')])
      .groupBy('state')
      .execute();
    const counts: Record<OutboxState, number> = { pending: 0, done: 0, rejected: 0, parked: 0 };
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  /** Deletes done rows older than `olderThanMs`; the last-sent table keeps the dedupe state. */
  async prune(olderThanMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('canvas_outbox')
      .where('state', '=', 'done')
      .where('updated_at', '<', Date.now() - olderThanMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** A poller cursor, if one was stored. */
  async cursor(courseId: string, stream: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('canvas_poll_cursors')
      .select('cursor')
      .where('course_id', '=', courseId)
      .where('stream', '=', stream)
      .executeTakeFirst();
    return row?.cursor;
  }
}

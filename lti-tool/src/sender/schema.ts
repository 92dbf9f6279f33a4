// The tables of Canvas change capture, beside the relay's in the same database (DATABASE_URL):
// the outbox of signed-to-be SyncEvents, the last content sent per entity key, and the poller's
// per-course cursors. Epoch-millisecond columns are bigint, as in the relay's schema.
import type { Store } from '@cds/relay';

/**
 * Kysely's `Generated<T>` (a column the database fills on insert), spelled structurally: lti-tool
 * reaches Kysely only through the relay's store, not as a dependency of its own.
 */
type Generated<T> = {
  readonly __select__: T;
  readonly __insert__: T | undefined;
  readonly __update__: T;
};

/** An outbox row's state: waiting to be sent, acknowledged by the relay, or refused for good. */
export type OutboxState = 'pending' | 'done' | 'rejected' | 'parked';

/** Which path found the change. */
export type CaptureOrigin = 'live_event' | 'poller';

export type CanvasOutboxTable = {
  /** Insertion order: events are sent in it. */
  seq: Generated<number>;
  event_id: string;
  entity: string;
  key: string;
  origin: CaptureOrigin;
  /** The unsigned SyncEvent as JSON. */
  event: string;
  state: OutboxState;
  /** Why it was refused (rejected, parked), or the last transient failure while pending. */
  reason: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
};

export type CanvasLastSentTable = {
  /** The SyncEvent key (unique across entities). */
  key: string;
  entity: string;
  /** Canonical JSON of the fields both capture paths reproduce (see fingerprint.ts). */
  fingerprint: string;
  /** The change time of what was last sent (ms): older content never overwrites newer. */
  changed_at: number;
  event_id: string;
};

export type CanvasPollCursorTable = {
  course_id: string;
  /** `grades`, `submissions` or `enrollments`. */
  stream: string;
  /** ISO 8601 time of the newest change seen. */
  cursor: string;
  updated_at: number;
};

export type CaptureMigrationTable = {
  name: string;
  applied_at: number;
};

export type CaptureTables = {
  canvas_outbox: CanvasOutboxTable;
  canvas_last_sent: CanvasLastSentTable;
  canvas_poll_cursors: CanvasPollCursorTable;
  canvas_capture_migrations: CaptureMigrationTable;
};

/** The store's Kysely instance, typed with the capture tables. */
export function captureDb(store: Store) {
  return store.db.withTables<CaptureTables>();
}
export type CaptureDb = ReturnType<typeof captureDb>;

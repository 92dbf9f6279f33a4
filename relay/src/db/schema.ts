import type { Generated } from 'kysely';
import type { CourseLinkMethod, EntityType, Source, Tier, UserLinkMethod } from '@cds/shared';

/**
 * The relay's tables, the same on SQLite and PostgreSQL. Times are epoch milliseconds (bigint);
 * structured values are JSON text, so one set of migrations and queries serves both databases.
 */
export interface Database {
  events: EventsTable;
  sync_state: SyncStateTable;
  conflicts: ConflictsTable;
  deliveries: DeliveriesTable;
  dead_letters: DeadLettersTable;
  audit: AuditTable;
  audit_head: AuditHeadTable;
  seen_tokens: SeenTokensTable;
  course_links: CourseLinksTable;
  user_links: UserLinksTable;
  canvas_identities: CanvasIdentitiesTable;
  link_waits: LinkWaitsTable;
  link_requests: LinkRequestsTable;
  user_link_optouts: UserLinkOptoutsTable;
}

/** Where an event is in its life: the log is the outbox, so every accepted event has a row. */
export const EVENT_STATES = [
  'accepted', // logged (the outbox) and handed to its queue; the sweeper re-queues it if lost
  'delivering', // decided to apply: deliveries to the targets are under way
  'applied', // the decision applied it and every target has it
  'stale', // superseded or a duplicate version: acknowledged, nothing to do
  'overridden', // lost to the source of truth in a concurrent edit
  'conflict', // waits for a person in the conflict queue
  'parked', // unknown schema version: kept until a mapping exists, then replayable
  'waiting', // a target needs a course or user link that does not exist yet: sent once it does
  'dead', // failed beyond the retry budget: in dead_letters
] as const;
export type EventState = (typeof EVENT_STATES)[number];

/** States with work still ahead (the backlog); every other state is final until a person replays. */
export const UNFINISHED_EVENT_STATES = ['accepted', 'delivering'] as const satisfies EventState[];

export function isUnfinished(state: EventState): boolean {
  return (UNFINISHED_EVENT_STATES as readonly EventState[]).includes(state);
}

export interface EventsTable {
  id: string;
  source: Source;
  producer: string;
  entity: EntityType;
  key: string;
  op: 'upsert' | 'delete';
  tier: Tier;
  schema: string;
  /** JSON of the whole SyncEvent as received. */
  body: string;
  state: EventState;
  reason: string | null;
  attempts: number;
  received_at: number;
  updated_at: number;
}

export interface SyncStateTable {
  key: string;
  entity: EntityType;
  /** JSON of the EntityState (@cds/shared): the heads per register. */
  state: string;
  /** 'resolved' | 'conflict' */
  status: string;
  reason: string;
  last_event_id: string;
  updated_at: number;
}

export interface ConflictsTable {
  id: string;
  key: string;
  entity: EntityType;
  /** JSON array of the concurrent event ids. */
  event_ids: string;
  /** Fields in conflict (per-field policies), JSON array; empty for whole-entity conflicts. */
  fields: string;
  status: 'open' | 'resolved';
  resolution: string | null;
  created_at: number;
  resolved_at: number | null;
}

/** One target's copy of an applied event: delivered, pending (with retries), or dead. */
export interface DeliveriesTable {
  event_id: string;
  target: string;
  /** The Idempotency-Key: the event id, or the background batch id; the same on every retry. */
  delivery_id: string;
  tier: Tier;
  /** 'waiting': held until a link it needs exists (link_waits says which). */
  status: 'pending' | 'waiting' | 'delivered' | 'dead';
  attempts: number;
  last_error: string | null;
  /** When its first counted attempt (or its replay's) began: its retry window runs from here. */
  first_attempt_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface DeadLettersTable {
  event_id: string;
  target: string;
  /** The error that made it dead; '' once a replay delivered it. */
  last_error: string;
  attempts: number;
  /** 'delivered': replayed, and the target then took it. */
  status: 'open' | 'replayed' | 'delivered' | 'discarded';
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AuditTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  /** JSON with the decision's details. */
  detail: string;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the chain's newest sequence number and hash; locked to append in order. */
export interface AuditHeadTable {
  id: Generated<number>;
  seq: number;
  hash: string;
}

/** Token ids (jti) seen by the ingest, for replay protection; kept in the database so a Redis
 * outage never opens a replay window. */
export interface SeenTokensTable {
  jti: string;
  expires_at: number;
}

/** A Canvas course's Discourse category and group (DESIGN.md section 3b). */
export interface CourseLinksTable {
  course_id: string;
  category_id: number;
  category_name: string;
  group_id: number;
  group_name: string;
  method: CourseLinkMethod;
  made_by: string;
  created_at: number;
}

/** A Canvas user's Discourse account; one Discourse account is one Canvas user's at most. */
export interface UserLinksTable {
  canvas_user_id: string;
  discourse_user_id: number;
  discourse_username: string;
  method: UserLinkMethod;
  made_by: string;
  created_at: number;
}

/** What the relay was told of a Canvas user (by LTI launches) to find their Discourse account. */
export interface CanvasIdentitiesTable {
  canvas_user_id: string;
  lti_sub: string | null;
  sis_user_id: string | null;
  login_id: string | null;
  email: string | null;
  updated_at: number;
}

/** A delivery held until a link exists: `need` names it (`course:<id>`, `user:<id>`...). */
export interface LinkWaitsTable {
  event_id: string;
  target: string;
  need: string;
  /** In words, e.g. `pending: user not linked (no Discourse account has external_id "s-1")`. */
  reason: string;
  /** The event's arrival: waiting deliveries are released in this order. */
  received_at: number;
  since: number;
}

/** A self-service link in progress: the User API key request's nonce and its one-use RSA key. */
export interface LinkRequestsTable {
  nonce: string;
  canvas_user_id: string;
  course_id: string;
  /** PKCS#8 PEM; the row is deleted when the flow completes or expires. */
  private_key: string;
  expires_at: number;
}

/** A user link a person removed: the relay does not link that user automatically again. */
export interface UserLinkOptoutsTable {
  canvas_user_id: string;
  removed_by: string;
  removed_at: number;
}

// The relay's status API as the plugin reads it (relay/src/status/: queries.ts, course.ts,
// actions.ts; DESIGN.md section 7). Discourse plugins cannot bundle zod, so the boundary is
// checked by these small guards: a response that does not fit is refused whole, never half-read.

/** Where an event is in its life (relay/src/db/schema.ts EVENT_STATES). */
export const EVENT_STATES = [
  'accepted',
  'delivering',
  'applied',
  'stale',
  'overridden',
  'conflict',
  'parked',
  'waiting',
  'dead',
] as const;
export type EventState = (typeof EVENT_STATES)[number];

export interface EventView {
  id: string;
  entity: string;
  key: string;
  state: EventState;
  reason: string;
  receivedAt: string | null;
}

export interface SyncStateView {
  status: string;
  reason: string;
  updatedAt: string | null;
}

export interface ConflictView {
  id: string;
  key?: string;
  entity: string;
  fields: string[];
  createdAt: string | null;
}

export interface DeadLetterView {
  eventId: string;
  key: string;
  entity: string;
  target: string;
  lastError: string;
  attempts: number;
  updatedAt: string | null;
}

export interface TierBacklog {
  backlog: number;
  lagMs: number;
}

/** `GET /v1/status/entities?key=` */
export interface EntityStatus {
  key: string;
  syncState: SyncStateView | null;
  events: EventView[];
  conflicts: ConflictView[];
}

/** How a course link was made (shared/src/links/links.ts COURSE_LINK_METHODS). */
export const COURSE_LINK_METHODS = ['created', 'picked', 'admin'] as const;
export type CourseLinkMethod = (typeof COURSE_LINK_METHODS)[number];

/** How a user link was made, in the order the relay tries them (USER_LINK_METHODS). */
export const USER_LINK_METHODS = ['external_id', 'email', 'self_service', 'admin'] as const;
export type UserLinkMethod = (typeof USER_LINK_METHODS)[number];

/** A Canvas course and its Discourse category and group (shared/src/links/links.ts CourseLink). */
export interface CourseLinkView {
  course_id: string;
  category_id: number;
  category_name: string;
  group_id: number;
  group_name: string;
  method: CourseLinkMethod;
  made_by: string;
  created_at: string;
}

/** A Canvas user and their Discourse account (shared/src/links/links.ts UserLink). */
export interface UserLinkView {
  canvas_user_id: string;
  discourse_user_id: number;
  discourse_username: string;
  method: UserLinkMethod;
  made_by: string;
  created_at: string;
}

/** What a course's events wait for: `pending: course not linked (...)` and how many. */
export interface CourseWait {
  reason: string;
  count: number;
}

/** A course's links in its status (relay/src/links/router.ts courseLinksView). */
export interface CourseLinks {
  course: CourseLinkView | null;
  /** The reader's own link: course tokens only, so null for Discourse tokens. */
  me: UserLinkView | null;
  waiting: CourseWait[];
}

/** `GET /v1/status/courses/:course` */
export interface CourseStatus {
  course: string;
  backlog: Record<string, TierBacklog>;
  recent: EventView[];
  conflicts: ConflictView[];
  deadLetters: DeadLetterView[];
  /** Absent when the relay runs without links (no DISCOURSE_URL). */
  links?: CourseLinks;
}

/** What waits for one missing link: `need` is `course:<id>`, `category:<id>`, `user:<id>`... */
export interface LinkWait {
  reason: string;
  need: string;
  count: number;
}

/** `GET /v1/status/links` (admin tokens only): every link and what waits for one. */
export interface LinksOverview {
  courses: CourseLinkView[];
  users: UserLinkView[];
  waiting: LinkWait[];
}

export interface TargetHealth {
  pending: number;
  failing: number;
  deadLetters: number;
  breaker: string | null;
}

/** `GET /v1/status/open-items` (admin tokens only): every open conflict and dead letter, newest first. */
export interface OpenItems {
  conflicts: ConflictView[];
  deadLetters: DeadLetterView[];
}

/** `GET /v1/status/categories/:category/link`: the course a category is (its moderators, admins). */
export interface CategoryLink {
  link: CourseLinkView;
}

/** `GET /v1/status/summary` (admin tokens only) */
export interface StatusSummary {
  at: string | null;
  tiers: Record<string, TierBacklog>;
  targets: Record<string, TargetHealth>;
  conflicts: { open: number };
  parked: number;
}

/** A relay answer that does not have the documented shape. */
export class StatusShapeError extends Error {
  constructor(what: string) {
    super(`the relay's status answer is not as documented: ${what}`);
    this.name = 'StatusShapeError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, what: string): Json {
  if (!isObject(v)) throw new StatusShapeError(`${what} must be an object`);
  return v;
}

function str(o: Json, name: string, what: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw new StatusShapeError(`${what}.${name} must be a string`);
  return v;
}

function strOrNull(o: Json, name: string, what: string): string | null {
  const v = o[name];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new StatusShapeError(`${what}.${name} must be a string`);
  return v;
}

function num(o: Json, name: string, what: string): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new StatusShapeError(`${what}.${name} must be a number`);
  return v;
}

function oneOf<T extends string>(o: Json, name: string, what: string, allowed: readonly T[]): T {
  const v = str(o, name, what);
  if (!(allowed as readonly string[]).includes(v))
    throw new StatusShapeError(`${what}.${name} "${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

function list<T>(v: unknown, what: string, item: (x: unknown, what: string) => T): T[] {
  if (!Array.isArray(v)) throw new StatusShapeError(`${what} must be a list`);
  return v.map((x, i) => item(x, `${what}[${i}]`));
}

function record<T>(v: unknown, what: string, item: (x: unknown, what: string) => T) {
  const o = object(v, what);
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(o)) out[k] = item(x, `${what}.${k}`);
  return out;
}

function eventView(v: unknown, what: string): EventView {
  const o = object(v, what);
  return {
    id: str(o, 'id', what),
    entity: str(o, 'entity', what),
    key: str(o, 'key', what),
    state: oneOf(o, 'state', what, EVENT_STATES),
    reason: str(o, 'reason', what),
    receivedAt: strOrNull(o, 'receivedAt', what),
  };
}

function conflictView(v: unknown, what: string): ConflictView {
  const o = object(v, what);
  const key = o.key === undefined ? undefined : str(o, 'key', what);
  return {
    id: str(o, 'id', what),
    ...(key === undefined ? {} : { key }),
    entity: str(o, 'entity', what),
    fields: list(o.fields, `${what}.fields`, (x, w) => {
      if (typeof x !== 'string') throw new StatusShapeError(`${w} must be a string`);
      return x;
    }),
    createdAt: strOrNull(o, 'createdAt', what),
  };
}

function deadLetterView(v: unknown, what: string): DeadLetterView {
  const o = object(v, what);
  return {
    eventId: str(o, 'eventId', what),
    key: str(o, 'key', what),
    entity: str(o, 'entity', what),
    target: str(o, 'target', what),
    lastError: str(o, 'lastError', what),
    attempts: num(o, 'attempts', what),
    updatedAt: strOrNull(o, 'updatedAt', what),
  };
}

function tierBacklog(v: unknown, what: string): TierBacklog {
  const o = object(v, what);
  return { backlog: num(o, 'backlog', what), lagMs: num(o, 'lagMs', what) };
}

function courseLinkView(v: unknown, what: string): CourseLinkView {
  const o = object(v, what);
  return {
    course_id: str(o, 'course_id', what),
    category_id: num(o, 'category_id', what),
    category_name: str(o, 'category_name', what),
    group_id: num(o, 'group_id', what),
    group_name: str(o, 'group_name', what),
    method: oneOf(o, 'method', what, COURSE_LINK_METHODS),
    made_by: str(o, 'made_by', what),
    created_at: str(o, 'created_at', what),
  };
}

function userLinkView(v: unknown, what: string): UserLinkView {
  const o = object(v, what);
  return {
    canvas_user_id: str(o, 'canvas_user_id', what),
    discourse_user_id: num(o, 'discourse_user_id', what),
    discourse_username: str(o, 'discourse_username', what),
    method: oneOf(o, 'method', what, USER_LINK_METHODS),
    made_by: str(o, 'made_by', what),
    created_at: str(o, 'created_at', what),
  };
}

const orNull = <T>(v: unknown, what: string, item: (x: unknown, what: string) => T): T | null =>
  v === null || v === undefined ? null : item(v, what);

function courseLinks(v: unknown, what: string): CourseLinks {
  const o = object(v, what);
  return {
    course: orNull(o.course, `${what}.course`, courseLinkView),
    me: orNull(o.me, `${what}.me`, userLinkView),
    waiting: list(o.waiting, `${what}.waiting`, (x, w) => {
      const wait = object(x, w);
      return { reason: str(wait, 'reason', w), count: num(wait, 'count', w) };
    }),
  };
}

export function parseEntityStatus(v: unknown): EntityStatus {
  const o = object(v, 'entity status');
  let syncState: SyncStateView | null = null;
  if (o.syncState !== null && o.syncState !== undefined) {
    const s = object(o.syncState, 'syncState');
    syncState = {
      status: str(s, 'status', 'syncState'),
      reason: str(s, 'reason', 'syncState'),
      updatedAt: strOrNull(s, 'updatedAt', 'syncState'),
    };
  }
  return {
    key: str(o, 'key', 'entity status'),
    syncState,
    events: list(o.events, 'events', eventView),
    conflicts: list(o.conflicts, 'conflicts', conflictView),
  };
}

export function parseCourseStatus(v: unknown): CourseStatus {
  const o = object(v, 'course status');
  return {
    course: str(o, 'course', 'course status'),
    backlog: record(o.backlog, 'backlog', tierBacklog),
    recent: list(o.recent, 'recent', eventView),
    conflicts: list(o.conflicts, 'conflicts', conflictView),
    deadLetters: list(o.deadLetters, 'deadLetters', deadLetterView),
    ...(o.links === undefined ? {} : { links: courseLinks(o.links, 'links') }),
  };
}

export function parseLinksOverview(v: unknown): LinksOverview {
  const o = object(v, 'links');
  return {
    courses: list(o.courses, 'courses', courseLinkView),
    users: list(o.users, 'users', userLinkView),
    waiting: list(o.waiting, 'waiting', (x, what) => {
      const wait = object(x, what);
      return {
        reason: str(wait, 'reason', what),
        need: str(wait, 'need', what),
        count: num(wait, 'count', what),
      };
    }),
  };
}

export function parseOpenItems(v: unknown): OpenItems {
  const o = object(v, 'open items');
  return {
    conflicts: list(o.conflicts, 'conflicts', conflictView),
    deadLetters: list(o.deadLetters, 'deadLetters', deadLetterView),
  };
}

export function parseCategoryLink(v: unknown): CategoryLink {
  const o = object(v, 'category link');
  return { link: courseLinkView(o.link, 'link') };
}

export function parseStatusSummary(v: unknown): StatusSummary {
  const o = object(v, 'summary');
  return {
    at: strOrNull(o, 'at', 'summary'),
    tiers: record(o.tiers, 'tiers', tierBacklog),
    targets: record(o.targets, 'targets', (x, what) => {
      const t = object(x, what);
      return {
        pending: num(t, 'pending', what),
        failing: num(t, 'failing', what),
        deadLetters: num(t, 'deadLetters', what),
        breaker: strOrNull(t, 'breaker', what),
      };
    }),
    conflicts: { open: num(object(o.conflicts, 'conflicts'), 'open', 'conflicts') },
    parked: num(o, 'parked', 'summary'),
  };
}

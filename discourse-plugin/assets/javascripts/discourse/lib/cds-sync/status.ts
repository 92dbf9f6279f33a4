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

/** `GET /v1/status/courses/:course` */
export interface CourseStatus {
  course: string;
  backlog: Record<string, TierBacklog>;
  recent: EventView[];
  conflicts: ConflictView[];
  deadLetters: DeadLetterView[];
}

export interface TargetHealth {
  pending: number;
  failing: number;
  deadLetters: number;
  breaker: string | null;
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
  const state = str(o, 'state', what);
  if (!(EVENT_STATES as readonly string[]).includes(state))
    throw new StatusShapeError(`${what}.state "${state}" is not an event state`);
  return {
    id: str(o, 'id', what),
    entity: str(o, 'entity', what),
    key: str(o, 'key', what),
    state: state as EventState,
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
  };
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

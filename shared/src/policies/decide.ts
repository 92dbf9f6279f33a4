import type { HlcTimestamp } from '../clock/hlc.js';
import type { VersionVector } from '../clock/version-vector.js';
import type { EntityType, Source } from '../events/entity.js';
import { newestFirst, place, type EntityState, type Head } from './register.js';
import type { EntityPolicy, Resolution } from './table.js';

/**
 * - `apply`: the change becomes the value (it is newer than everything applied, or it won the
 *   policy against a concurrent edit);
 * - `stale`: already applied or superseded by a newer version: acknowledged, nothing to do;
 * - `override`: concurrent with an edit the policy prefers: not applied, its side is told so;
 * - `conflict`: concurrent, and the policy leaves the choice to a person (conflict queue).
 */
export type Action = 'apply' | 'stale' | 'override' | 'conflict';

export interface Decision {
  action: Action;
  /** Why, in words the status UIs show. */
  reason: string;
  /** The state to store for the entity key. */
  next: EntityState;
  /** Per-field policies: fields where a non-owner's concurrent edit lost with a different value. */
  conflictingFields: string[];
}

/** The parts of a SyncEvent a decision needs (the payload already in canonical form). */
export interface DecisionInput {
  id: string;
  source: Source;
  entity: EntityType;
  op: 'upsert' | 'delete';
  vv: VersionVector;
  hlc: HlcTimestamp;
  payload: Record<string, unknown>;
}

const WHOLE = '*';

function registersOf(resolution: Resolution, event: DecisionInput): Record<string, unknown> {
  if (resolution.kind !== 'per_field') return { [WHOLE]: event.payload };
  const identity = new Set(resolution.identity ?? []);
  return Object.fromEntries(
    Object.entries(event.payload).filter(([field]) => !identity.has(field)),
  );
}

/**
 * The identity fields of a per-field entity, known so far. They describe who, not what, so they are
 * not versioned; if two events disagree, the smaller JSON wins so that every order gives the same.
 */
function mergeIdentity(
  resolution: Resolution,
  known: Record<string, unknown> | undefined,
  payload: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (resolution.kind !== 'per_field' || !resolution.identity) return known;
  const merged = { ...known };
  for (const field of resolution.identity) {
    if (!(field in payload)) continue;
    const current = merged[field];
    const candidate = payload[field];
    if (current === undefined || JSON.stringify(candidate) < JSON.stringify(current))
      merged[field] = candidate;
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/** The head a policy prefers among concurrent ones, or undefined when a person must choose. */
function pickWinner(resolution: Resolution, register: string, heads: Head[]): Head | undefined {
  if (heads.length === 1) return heads[0];
  const preferredBy = (isPreferred: (head: Head) => boolean): Head => {
    const preferred = heads.filter(isPreferred);
    return [...(preferred.length > 0 ? preferred : heads)].sort(newestFirst)[0]!;
  };
  switch (resolution.kind) {
    case 'conflict':
      return undefined;
    case 'lww':
      return preferredBy(() => false);
    case 'source':
      return preferredBy((head) => head.source === resolution.source);
    case 'payload_field':
      return preferredBy(
        (head) => (head.value as Record<string, unknown>)[resolution.field] === head.source,
      );
    case 'per_field':
      return preferredBy((head) => resolution.owners[register] === head.source);
  }
}

function describeWinner(resolution: Resolution, register: string, winner: Head): string {
  switch (resolution.kind) {
    case 'source':
      return winner.source === resolution.source
        ? `${winner.source} is the source of truth`
        : 'newest edit wins';
    case 'payload_field':
      return `the ${resolution.field} (${winner.source}) wins`;
    case 'per_field':
      return resolution.owners[register] === winner.source
        ? `${winner.source} owns field ${register}`
        : 'newest edit wins';
    default:
      return 'newest edit wins';
  }
}

interface RegisterOutcome {
  action: Action;
  reason: string;
  heads: Head[];
  lostWithDifferentValue: boolean;
}

function decideRegister(
  resolution: Resolution,
  register: string,
  heads: Head[],
  incoming: Head,
): RegisterOutcome {
  const placement = place(heads, incoming);
  if (placement.kind === 'duplicate') {
    return {
      action: 'stale',
      reason: 'already applied (duplicate delivery)',
      heads,
      lostWithDifferentValue: false,
    };
  }
  if (placement.kind === 'superseded') {
    return {
      action: 'stale',
      reason: `superseded by newer event ${placement.by.eventId} from ${placement.by.source}`,
      heads,
      lostWithDifferentValue: false,
    };
  }
  const next = placement.heads;
  if (next.length === 1) {
    const reason = heads.length === 0 ? 'first version' : 'newer than every applied version';
    return { action: 'apply', reason, heads: next, lostWithDifferentValue: false };
  }
  const rivals = next.filter((head) => head !== incoming);
  const rivalNames = rivals.map((head) => `${head.source} event ${head.eventId}`).join(', ');
  const winner = pickWinner(resolution, register, next);
  if (!winner) {
    return {
      action: 'conflict',
      reason: `concurrent with ${rivalNames}: never overwritten silently, a person must choose`,
      heads: next,
      lostWithDifferentValue: false,
    };
  }
  const why = describeWinner(resolution, register, winner);
  if (winner === incoming) {
    return {
      action: 'apply',
      reason: `wins over concurrent ${rivalNames}: ${why}`,
      heads: next,
      lostWithDifferentValue: false,
    };
  }
  return {
    action: 'override',
    reason: `overridden by concurrent ${winner.source} event ${winner.eventId}: ${why}`,
    heads: next,
    lostWithDifferentValue: JSON.stringify(winner.value) !== JSON.stringify(incoming.value),
  };
}

const ACTION_PRECEDENCE: Action[] = ['apply', 'conflict', 'override', 'stale'];

/**
 * Decides what to do with an incoming change to one entity, given what is stored for its key
 * (DESIGN.md section 4): version vectors decide causality; for concurrent edits the entity's policy
 * decides. Pure: the caller stores `next` and acts on `action`.
 */
export function decide(
  policy: EntityPolicy,
  state: EntityState | undefined,
  event: DecisionInput,
): Decision {
  const registers = { ...(state?.registers ?? {}) };
  const identity = mergeIdentity(policy.resolution, state?.identity, event.payload);
  const nextState = (): EntityState => (identity ? { registers, identity } : { registers });
  const outcomes: Array<[string, RegisterOutcome]> = [];
  for (const [register, value] of Object.entries(registersOf(policy.resolution, event))) {
    const head: Head = {
      eventId: event.id,
      source: event.source,
      vv: event.vv,
      hlc: event.hlc,
      deleted: event.op === 'delete',
      value,
    };
    const outcome = decideRegister(policy.resolution, register, registers[register] ?? [], head);
    registers[register] = outcome.heads;
    outcomes.push([register, outcome]);
  }
  if (outcomes.length === 0) {
    return {
      action: 'stale',
      reason: 'the change carries no field to apply',
      next: nextState(),
      conflictingFields: [],
    };
  }
  const action = ACTION_PRECEDENCE.find((a) => outcomes.some(([, o]) => o.action === a))!;
  const reason =
    outcomes.length === 1 && outcomes[0]![0] === WHOLE
      ? outcomes[0]![1].reason
      : outcomes.map(([field, o]) => `${field}: ${o.action} (${o.reason})`).join('; ');
  const conflictingFields = outcomes
    .filter(([, o]) => o.lostWithDifferentValue)
    .map(([field]) => field);
  return {
    action,
    reason,
    next: nextState(),
    conflictingFields: policy.resolution.kind === 'per_field' ? conflictingFields : [],
  };
}

/** What an entity's stored state amounts to: the value to show and apply, or an open conflict. */
export interface ResolvedState {
  status: 'resolved' | 'conflict';
  /** The winning value (null when deleted); per-field: an object of the winning fields. */
  value: Record<string, unknown> | null;
  /** The winning event per register; registers in conflict are absent. */
  winners: Record<string, string>;
  /** Registers whose heads a person must choose between. */
  conflicts: string[];
}

/** Resolves a stored state with a policy: the same heads always give the same answer. */
export function resolveState(policy: EntityPolicy, state: EntityState): ResolvedState {
  const winners: Record<string, string> = {};
  const conflicts: string[] = [];
  const fields: Record<string, unknown> = {};
  let whole: Record<string, unknown> | null = null;
  for (const register of Object.keys(state.registers).sort()) {
    const winner = pickWinner(policy.resolution, register, state.registers[register] ?? []);
    if (!winner) {
      conflicts.push(register);
      continue;
    }
    winners[register] = winner.eventId;
    if (register === WHOLE)
      whole = winner.deleted ? null : (winner.value as Record<string, unknown>);
    else if (!winner.deleted) fields[register] = winner.value;
  }
  const value = policy.resolution.kind === 'per_field' ? { ...state.identity, ...fields } : whole;
  return { status: conflicts.length > 0 ? 'conflict' : 'resolved', value, winners, conflicts };
}

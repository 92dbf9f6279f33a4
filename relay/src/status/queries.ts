import type { ExpressionBuilder, Kysely } from 'kysely';
import { TIERS, type Tier } from '@cds/shared';
import type { BreakerState } from '../connectors/breaker.js';
import {
  EVENT_STATES,
  UNFINISHED_EVENT_STATES,
  type Database,
  type EventState,
} from '../db/schema.js';
import { DELIVERY_LANES, QUEUED_TIERS, type RelayQueues } from '../queue/queues.js';
import { deadLettersOfEvent, openLetterCounts } from '../store/dead-letters.js';
import { deliveriesOfEvent, pendingByTarget } from '../store/deliveries.js';
import { withTimeout } from '../util/timeout.js';

// Read-only views of the log for the status API and the metrics. The database is the truth;
// queue counts from Redis are extra detail when Redis answers.

type Db = Kysely<Database>;

export const iso = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

export interface SyncStateView {
  key: string;
  entity: string;
  /** 'resolved' | 'conflict' */
  status: string;
  reason: string;
  lastEventId: string;
  updatedAt: string | null;
  /** The EntityState (@cds/shared): the applied heads per register. */
  state: unknown;
}

async function syncStateOf(db: Db, key: string): Promise<SyncStateView | null> {
  const row = await db
    .selectFrom('sync_state')
    .selectAll()
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return null;
  return {
    key: row.key,
    entity: row.entity,
    status: row.status,
    reason: row.reason,
    lastEventId: row.last_event_id,
    updatedAt: iso(row.updated_at),
    state: JSON.parse(row.state) as unknown,
  };
}

export const EVENT_COLUMNS = [
  'id',
  'entity',
  'key',
  'source',
  'producer',
  'op',
  'tier',
  'schema',
  'state',
  'reason',
  'received_at',
  'updated_at',
] as const;

type EventRow = Pick<Database['events'], (typeof EVENT_COLUMNS)[number]>;

export function eventView(row: EventRow) {
  return {
    id: row.id,
    entity: row.entity,
    key: row.key,
    source: row.source,
    producer: row.producer,
    op: row.op,
    tier: row.tier,
    schema: row.schema,
    state: row.state,
    reason: row.reason,
    receivedAt: iso(row.received_at),
    updatedAt: iso(row.updated_at),
  };
}
export type EventView = ReturnType<typeof eventView>;

/** One event: its row, its delivery per target, its dead letters and its entity's sync state. */
export async function eventStatus(db: Db, id: string) {
  const row = await db
    .selectFrom('events')
    .select(EVENT_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const [deliveries, deadLetters, syncState] = await Promise.all([
    deliveriesOfEvent(db, id),
    deadLettersOfEvent(db, id),
    syncStateOf(db, row.key),
  ]);
  return {
    event: eventView(row),
    deliveries: deliveries.map((d) => ({
      target: d.target,
      deliveryId: d.delivery_id,
      tier: d.tier,
      status: d.status,
      attempts: d.attempts,
      lastError: d.last_error,
      createdAt: iso(d.created_at),
      updatedAt: iso(d.updated_at),
    })),
    deadLetters: deadLetters.map((d) => ({
      target: d.target,
      // 'delivered' once a replay went through: then no error is shown.
      status: d.status,
      attempts: d.attempts,
      lastError: d.last_error || null,
      deliveredAt: iso(d.delivered_at),
      createdAt: iso(d.created_at),
      updatedAt: iso(d.updated_at),
    })),
    syncState,
  };
}

/** One entity key: its sync state, its newest events (newest first) and its open conflicts. */
export async function entityStatus(db: Db, key: string, limit: number) {
  const [syncState, events, conflicts] = await Promise.all([
    syncStateOf(db, key),
    db
      .selectFrom('events')
      .select(EVENT_COLUMNS)
      .where('key', '=', key)
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('conflicts')
      .selectAll()
      .where('status', '=', 'open')
      .where('key', '=', key)
      .orderBy('created_at')
      .execute(),
  ]);
  return {
    key,
    syncState,
    events: events.map(eventView),
    conflicts: conflicts.map((c) => ({
      id: c.id,
      entity: c.entity,
      eventIds: JSON.parse(c.event_ids) as string[],
      fields: JSON.parse(c.fields) as string[],
      createdAt: iso(c.created_at),
    })),
  };
}

/** A where-clause: the row's `key` matches one of the LIKE patterns. */
export function keyMatches(patterns: readonly string[]) {
  return (eb: ExpressionBuilder<Database, 'events'>) =>
    eb.or(patterns.map((pattern) => eb('key', 'like', pattern)));
}

export interface TierBacklog {
  /** Events accepted or delivering, not finished. */
  backlog: number;
  /** Age in ms of the oldest unfinished event; 0 when none. */
  lagMs: number;
}

/**
 * Backlog and lag per tier (every tier present), from the log's state index; only the keys
 * matching `keyPatterns` (SQL LIKE, status/scope.ts) when given.
 */
export async function backlogByTier(
  db: Db,
  now = Date.now(),
  keyPatterns?: readonly string[],
): Promise<Record<Tier, TierBacklog>> {
  let query = db
    .selectFrom('events')
    .select((eb) => ['tier', eb.fn.countAll().as('n'), eb.fn.min('received_at').as('oldest')])
    .where('state', 'in', UNFINISHED_EVENT_STATES);
  if (keyPatterns) query = query.where(keyMatches(keyPatterns));
  const rows = await query.groupBy('tier').execute();
  const result = Object.fromEntries(TIERS.map((t) => [t, { backlog: 0, lagMs: 0 }])) as Record<
    Tier,
    TierBacklog
  >;
  for (const row of rows) {
    const tier = row.tier;
    if (!result[tier]) continue;
    result[tier] = {
      backlog: Number(row.n),
      lagMs: row.oldest === null ? 0 : Math.max(0, now - Number(row.oldest)),
    };
  }
  return result;
}

export interface TargetHealth {
  /** Deliveries not yet done. */
  pending: number;
  /** Pending deliveries whose last attempt failed (retrying). */
  failing: number;
  /** Open dead letters. */
  deadLetters: number;
}

/** Delivery health per target: the configured ones and any the database mentions. */
export async function targetHealth(
  db: Db,
  targets: readonly string[],
): Promise<Record<string, TargetHealth>> {
  const [pending, dead] = await Promise.all([pendingByTarget(db), openLetterCounts(db)]);
  const result: Record<string, TargetHealth> = {};
  const of = (target: string) => (result[target] ??= { pending: 0, failing: 0, deadLetters: 0 });
  for (const target of targets) of(target);
  for (const row of pending) {
    of(row.target).pending = row.pending;
    of(row.target).failing = row.failing;
  }
  for (const row of dead) of(row.target).deadLetters = row.open;
  return result;
}

export async function openConflictCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('conflicts')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function parkedCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('state', '=', 'parked')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Event counts by state per tier (every tier and state present). */
async function stateCounts(db: Db): Promise<Record<Tier, Record<EventState, number>>> {
  const rows = await db
    .selectFrom('events')
    .select((eb) => ['tier', 'state', eb.fn.countAll().as('n')])
    .groupBy(['tier', 'state'])
    .execute();
  const zero = () =>
    Object.fromEntries(EVENT_STATES.map((s) => [s, 0])) as Record<EventState, number>;
  const result = Object.fromEntries(TIERS.map((t) => [t, zero()])) as Record<
    Tier,
    Record<EventState, number>
  >;
  for (const row of rows) {
    const counts = result[row.tier];
    if (counts && row.state in counts) counts[row.state] = Number(row.n);
  }
  return result;
}

const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
type JobCounts = Record<(typeof JOB_STATES)[number], number>;

export interface QueueCounts {
  decide: Partial<Record<Tier, JobCounts>>;
  deliver: Record<string, JobCounts>;
}

/** BullMQ's job counts per queue; a detail, so Redis trouble becomes an error string, not a 500. */
async function queueCounts(
  queues: RelayQueues,
  targets: readonly string[],
): Promise<QueueCounts | { error: string }> {
  const counts = async (queue: { getJobCounts(...types: string[]): Promise<object> }) => {
    const raw = (await queue.getJobCounts(...JOB_STATES)) as Record<string, number | undefined>;
    return Object.fromEntries(JOB_STATES.map((s) => [s, raw[s] ?? 0])) as JobCounts;
  };
  try {
    return await withTimeout(
      (async () => {
        const decide: QueueCounts['decide'] = {};
        for (const tier of QUEUED_TIERS) decide[tier] = await counts(queues.decide[tier]);
        decide.background = await counts(queues.background);
        const deliver: QueueCounts['deliver'] = {};
        for (const target of targets)
          for (const lane of DELIVERY_LANES)
            deliver[lane === 'now' ? target : `${target} (paced)`] = await counts(
              queues.deliver(target, lane),
            );
        return { decide, deliver };
      })(),
      2_000,
      'Redis',
    );
  } catch (error) {
    return { error: `queue counts unavailable: ${(error as Error).message}` };
  }
}

/** Each target's circuit breaker where this process runs the workers; undefined elsewhere. */
export type BreakerStates = () => ReadonlyMap<string, { state: BreakerState }> | undefined;

export interface SummaryOptions {
  /** The configured targets (connector names), listed even before their first delivery. */
  targets: readonly string[];
  breakers?: BreakerStates;
  /** Adds BullMQ's job counts when given. */
  queues?: RelayQueues;
  now?: number;
}

/** Health per tier and per target, conflicts and parked events: what the dashboard's top shows. */
export async function statusSummary(db: Db, options: SummaryOptions) {
  const now = options.now ?? Date.now();
  const [backlog, counts, targets, conflicts, parked] = await Promise.all([
    backlogByTier(db, now),
    stateCounts(db),
    targetHealth(db, options.targets),
    openConflictCount(db),
    parkedCount(db),
  ]);
  const breakers = options.breakers?.();
  const allTargets = Object.keys(targets).sort();
  return {
    at: iso(now),
    tiers: Object.fromEntries(
      TIERS.map((tier) => [tier, { ...backlog[tier], states: counts[tier] }]),
    ) as Record<Tier, TierBacklog & { states: Record<EventState, number> }>,
    targets: Object.fromEntries(
      allTargets.map((name) => [
        name,
        { ...targets[name]!, breaker: breakers?.get(name)?.state ?? null },
      ]),
    ),
    conflicts: { open: conflicts },
    parked,
    ...(options.queues ? { queues: await queueCounts(options.queues, allTargets) } : {}),
  };
}

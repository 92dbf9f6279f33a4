import { resolveState, type EntityState, type PolicyTable } from '@cds/shared';
import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import { writeTransaction } from '../db/transaction.js';
import type { Connector, DeliveryItem } from '../connectors/connector.js';
import type { DeliverJob } from '../queue/queues.js';
import { afterFailure, type RetryPolicy, type RetryVerdict } from '../queue/retry.js';
import { markLettersDelivered, openDeadLetters } from '../store/dead-letters.js';
import {
  markDeliveriesDead,
  markDelivered,
  pendingEventIds,
  recordFailedAttempt,
} from '../store/deliveries.js';
import { getEvents, setEventState } from '../store/events.js';

export interface DeliverDeps {
  store: Store;
  policies: PolicyTable;
  retry: RetryPolicy;
}

/**
 * Each item carries the value now resolved for its key, not the event's own payload: deliveries of
 * one key that overtake each other still leave the target with the newest value.
 */
async function itemsFor(deps: DeliverDeps, eventIds: string[]): Promise<DeliveryItem[]> {
  const events = await getEvents(deps.store.db, eventIds);
  const keys = [...new Set(events.map((e) => e.key))];
  const states = await deps.store.db
    .selectFrom('sync_state')
    .select(['key', 'entity', 'state'])
    .where('key', 'in', keys)
    .execute();
  const valueOf = new Map(
    states.map((row) => [
      row.key,
      resolveState(deps.policies[row.entity], JSON.parse(row.state) as EntityState).value,
    ]),
  );
  return events.map((e) => ({
    eventId: e.id,
    source: e.event.source,
    entity: e.event.entity,
    key: e.key,
    op: e.event.op,
    value: valueOf.get(e.key) ?? null,
  }));
}

/**
 * Delivers a job's pending events to one target and records success: the deliveries, the events
 * every target now has ('applied'), replayed dead letters now delivered, and one audit record.
 * Returns how many events went and those now applied. Throws the connector's TargetError.
 */
export async function deliverToTarget(
  deps: DeliverDeps,
  connector: Connector,
  job: DeliverJob,
): Promise<{ delivered: number; applied: string[] }> {
  const pending = await pendingEventIds(deps.store.db, connector.name, job.eventIds);
  if (pending.length === 0) return { delivered: 0, applied: [] };
  await connector.deliver({
    id: job.deliveryId,
    tier: job.tier,
    eventIds: pending,
    items: await itemsFor(deps, pending),
  });
  const applied = await writeTransaction(deps.store, async (trx) => {
    const now = Date.now();
    const done = await markDelivered(trx, connector.name, pending, now);
    if (done.length > 0) {
      await trx
        .updateTable('events')
        .set({ state: 'applied', updated_at: now })
        .where('id', 'in', done)
        .where('state', '=', 'delivering')
        .execute();
    }
    await markLettersDelivered(trx, connector.name, pending, now);
    await appendAudit(trx, [
      {
        actor: 'worker',
        action: 'delivery.done',
        subject: job.deliveryId,
        detail: { target: connector.name, eventIds: pending },
      },
    ]);
    return done;
  });
  return { delivered: pending.length, applied };
}

export interface DeliveryFailure {
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** A breaker's half-open probe: its failure is the target's, not the delivery's (not counted). */
  probe: boolean;
  /** When the attempt began. */
  startedAt: number;
}

/** A failed attempt's outcome; 'settled' when nothing of the job was pending any more. */
export type FailureOutcome = RetryVerdict | { kind: 'settled' };

/**
 * Records a failed attempt and decides what follows (queue/retry.ts): another attempt later, or,
 * for a permanent refusal or at the end of the retry window, the dead letters (audited).
 */
export async function recordDeliveryFailure(
  deps: DeliverDeps,
  target: string,
  job: DeliverJob,
  failure: DeliveryFailure,
): Promise<FailureOutcome> {
  return writeTransaction(deps.store, async (trx): Promise<FailureOutcome> => {
    const now = Date.now();
    const rows = await recordFailedAttempt(trx, target, job.eventIds, {
      error: failure.message,
      counted: !failure.probe,
      startedAt: failure.startedAt,
      now,
    });
    if (rows.length === 0) return { kind: 'settled' };
    const starts = rows.flatMap((r) => (r.firstAttemptAt === null ? [] : [r.firstAttemptAt]));
    const verdict = afterFailure(
      {
        retryable: failure.retryable,
        retryAfterMs: failure.retryAfterMs,
        attempts: Math.max(...rows.map((r) => r.attempts)),
        firstAttemptAt: starts.length > 0 ? Math.min(...starts) : null,
        now,
      },
      deps.retry,
    );
    if (verdict.kind === 'retry') return verdict;
    const dead = rows.map((r) => r.eventId);
    await markDeliveriesDead(trx, target, dead, now);
    await openDeadLetters(trx, target, rows, failure.message, now);
    await setEventState(trx, dead, 'dead', `delivery to ${target} failed: ${failure.message}`, now);
    await appendAudit(trx, [
      {
        actor: 'worker',
        action: 'delivery.dead',
        subject: job.deliveryId,
        detail: { target, eventIds: dead, error: failure.message },
      },
    ]);
    return verdict;
  });
}

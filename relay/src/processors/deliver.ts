import type { PolicyTable } from '@cds/shared';
import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import { writeTransaction, type Tx } from '../db/transaction.js';
import type { Connector, DeliveryItem } from '../connectors/connector.js';
import type { LinkResolver, WaitingItem } from '../links/resolver.js';
import type { DeliverJob } from '../queue/queues.js';
import { afterFailure, type RetryPolicy, type RetryVerdict } from '../queue/retry.js';
import { markLettersDelivered, openDeadLetters } from '../store/dead-letters.js';
import {
  markDeliveriesDead,
  markDeliveriesWaiting,
  markDelivered,
  pendingEventIds,
  recordFailedAttempt,
} from '../store/deliveries.js';
import { getEvents, markApplied, setEventState } from '../store/events.js';
import { addWaits } from '../store/links.js';
import { resolvedValues } from '../store/sync-state.js';

export interface DeliverDeps {
  store: Store;
  policies: PolicyTable;
  retry: RetryPolicy;
  /** Resolves the links a connector's items need. */
  links: LinkResolver;
}

/**
 * Each item carries the value now resolved for its key, not the event's own payload: deliveries of
 * one key that overtake each other still leave the target with the newest value.
 */
async function itemsFor(
  deps: DeliverDeps,
  eventIds: string[],
): Promise<Array<DeliveryItem & { receivedAt: number }>> {
  const events = await getEvents(deps.store.db, eventIds);
  const valueOf = await resolvedValues(
    deps.store.db,
    events.map((e) => e.key),
    deps.policies,
  );
  // In the job's order (the databases answer `in (...)` in any order): the target applies them so.
  const byId = new Map(events.map((e) => [e.id, e]));
  return eventIds
    .flatMap((id) => {
      const e = byId.get(id);
      return e ? [e] : [];
    })
    .map((e) => ({
      eventId: e.id,
      source: e.event.source,
      entity: e.event.entity,
      key: e.key,
      op: e.event.op,
      value: valueOf.get(e.key) ?? null,
      receivedAt: Number(e.received_at),
    }));
}

/**
 * Delivers a job's pending events to one target and records what it answered: the deliveries it
 * took, the events every target now has ('applied'), replayed dead letters now delivered; each
 * event it refused for good goes to the dead letters alone, with the target's reason; items whose
 * course or user link the target needs and does not exist yet are held (`waiting`) until it does.
 * One audit record. Returns how many events went, those now applied, refused and held. Throws the
 * connector's TargetError.
 */
export async function deliverToTarget(
  deps: DeliverDeps,
  connector: Connector,
  job: DeliverJob,
): Promise<{
  delivered: number;
  applied: string[];
  refused: ReadonlyMap<string, string>;
  waiting: readonly WaitingItem[];
}> {
  const stillPending = new Set(await pendingEventIds(deps.store.db, connector.name, job.eventIds));
  const pending = job.eventIds.filter((id) => stillPending.has(id));
  if (pending.length === 0) return { delivered: 0, applied: [], refused: new Map(), waiting: [] };
  const loaded = await itemsFor(deps, pending);
  const receivedAt = new Map(loaded.map(({ eventId, receivedAt }) => [eventId, receivedAt]));
  const items = loaded.map(({ receivedAt: _, ...item }) => item);
  const { ready, waiting } = connector.needs
    ? await deps.links.resolve(items, (item) => connector.needs!(item))
    : { ready: items, waiting: [] };
  const outcome =
    ready.length === 0
      ? undefined
      : await connector.deliver({
          id: job.deliveryId,
          tier: job.tier,
          eventIds: ready.map((item) => item.eventId),
          items: ready,
        });
  const refused = outcome?.refused ?? new Map<string, string>();
  const taken = ready.map((item) => item.eventId).filter((id) => !refused.has(id));
  const applied = await writeTransaction(deps.store, async (trx) => {
    const now = Date.now();
    const done = await markDelivered(trx, connector.name, taken, now);
    await markApplied(trx, done, now);
    await markLettersDelivered(trx, connector.name, taken, now);
    if (refused.size > 0) await deadLetterRefused(trx, connector.name, refused, now);
    if (waiting.length > 0) await holdForLinks(trx, connector.name, waiting, receivedAt, now);
    await appendAudit(trx, [
      {
        actor: 'worker',
        action: 'delivery.done',
        subject: job.deliveryId,
        detail: {
          target: connector.name,
          eventIds: taken,
          ...(refused.size > 0 ? { refused: Object.fromEntries(refused) } : {}),
          ...(waiting.length > 0
            ? { waiting: Object.fromEntries(waiting.map((w) => [w.item.eventId, w.reason])) }
            : {}),
        },
      },
    ]);
    return done;
  });
  // A link made while these were being held released nothing: release them now.
  if (waiting.length > 0) await deps.links.releaseLinked(waiting.map((w) => w.need));
  return { delivered: taken.length, applied, refused, waiting };
}

/** Items whose links do not exist yet: held, each saying which link it waits for. */
async function holdForLinks(
  trx: Tx,
  target: string,
  waiting: readonly WaitingItem[],
  receivedAt: ReadonlyMap<string, number>,
  now: number,
): Promise<void> {
  const reasons = new Map(waiting.map((w) => [w.item.eventId, w.reason]));
  await markDeliveriesWaiting(trx, target, [...reasons.keys()], (id) => reasons.get(id)!, now);
  await addWaits(
    trx,
    waiting.map((w) => ({
      eventId: w.item.eventId,
      target,
      need: w.need,
      reason: w.reason,
      receivedAt: receivedAt.get(w.item.eventId) ?? now,
    })),
    now,
  );
  for (const w of waiting) await setEventState(trx, [w.item.eventId], 'waiting', w.reason, now);
}

/** Events a target refused for good in an otherwise taken delivery: dead, each with its reason. */
async function deadLetterRefused(
  trx: Tx,
  target: string,
  refused: ReadonlyMap<string, string>,
  now: number,
): Promise<void> {
  const ids = [...refused.keys()];
  await markDeliveriesDead(trx, target, ids, now);
  for (const [eventId, reason] of refused) {
    await openDeadLetters(trx, target, [{ eventId, attempts: 1 }], `refused: ${reason}`, now);
    await setEventState(trx, [eventId], 'dead', `${target} refused it: ${reason}`, now);
  }
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

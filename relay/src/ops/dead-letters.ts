import type { Tier } from '@cds/shared';
import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import { writeTransaction } from '../db/transaction.js';
import { ensureJob } from '../queue/ensure-job.js';
import type { RelayQueues } from '../queue/queues.js';
import {
  deadLettersOfEvent,
  discardLetters,
  listDeadLetters as listLetters,
  markReplayed,
  openLettersOf,
  type DeadLetterStatus,
  type DeadLetterView,
} from '../store/dead-letters.js';
import { deliveriesOfEvent, reopenDelivery } from '../store/deliveries.js';
import { getEvents, setEventState } from '../store/events.js';

export type { DeadLetterView } from '../store/dead-letters.js';

/** Dead letters, newest first, optionally only one status. */
export async function listDeadLetters(
  store: Store,
  options: { status?: DeadLetterStatus; limit?: number } = {},
): Promise<DeadLetterView[]> {
  return listLetters(store.db, options);
}

/** One event's dead letters, the event as received, and each of its deliveries. */
export async function showDeadLetter(store: Store, eventId: string) {
  const letters = await deadLettersOfEvent(store.db, eventId);
  if (letters.length === 0) return undefined;
  const [logged] = await getEvents(store.db, [eventId]);
  const event = logged && (({ event: body, ...row }) => ({ ...row, body }))(logged);
  return { letters, event, deliveries: await deliveriesOfEvent(store.db, eventId) };
}

/**
 * Sends dead-lettered events to their targets again: deliveries back to pending with a fresh
 * retry window, jobs queued under the original delivery id (so a target that did apply it once
 * still applies it once). Once delivered, the dead letter says so. Audited. Returns how many were
 * replayed.
 */
export async function replayDeadLetters(
  store: Store,
  queues: RelayQueues,
  eventIds: readonly string[],
  actor: string,
): Promise<number> {
  const replayed = await writeTransaction(store, async (trx) => {
    const letters = await openLettersOf(trx, eventIds);
    if (letters.length === 0) return [];
    const now = Date.now();
    const jobs: Array<{ target: string; deliveryId: string; tier: Tier; eventId: string }> = [];
    for (const letter of letters) {
      const delivery = await reopenDelivery(trx, letter.event_id, letter.target, now);
      jobs.push({ target: letter.target, ...delivery, eventId: letter.event_id });
      await markReplayed(trx, letter.event_id, letter.target, now);
    }
    const ids = [...new Set(letters.map((l) => l.event_id))];
    await setEventState(trx, ids, 'delivering', `replayed by ${actor}`, now);
    await appendAudit(
      trx,
      ids.map((id) => ({
        actor,
        action: 'dlq.replayed',
        subject: id,
        detail: { targets: letters.filter((l) => l.event_id === id).map((l) => l.target) },
      })),
    );
    return jobs;
  });
  // One job per delivery id and target: events of one background batch go out together again.
  const grouped = new Map<
    string,
    { target: string; deliveryId: string; tier: Tier; eventIds: string[] }
  >();
  for (const job of replayed) {
    const jobId = `${job.deliveryId}.${job.target}`;
    const group = grouped.get(jobId) ?? { ...job, eventIds: [] };
    group.eventIds.push(job.eventId);
    grouped.set(jobId, group);
  }
  for (const [jobId, { target, deliveryId, tier, eventIds }] of grouped) {
    await ensureJob(queues.deliverFor(target, tier), jobId, () =>
      queues.enqueueDelivery(target, { deliveryId, tier, eventIds }),
    );
  }
  return new Set(replayed.map((j) => j.eventId)).size;
}

/** Gives up on dead-lettered events for good (audited); they stay in the log as 'dead'. */
export async function discardDeadLetters(
  store: Store,
  eventIds: readonly string[],
  actor: string,
  reason: string,
): Promise<number> {
  return writeTransaction(store, async (trx) => {
    const ids = await discardLetters(trx, eventIds);
    await appendAudit(
      trx,
      ids.map((id) => ({ actor, action: 'dlq.discarded', subject: id, detail: { reason } })),
    );
    return ids.length;
  });
}

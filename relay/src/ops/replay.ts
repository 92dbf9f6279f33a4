import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import type { EventState } from '../db/schema.js';
import { writeTransaction } from '../db/transaction.js';
import type { RelayQueues } from '../queue/queues.js';
import { dropUndelivered } from '../store/deliveries.js';
import { dropWaits } from '../store/links.js';

export interface ReplayWindow {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  /** Which events to take again. @defaultValue ['parked'] */
  states?: EventState[];
}

const PAGE = 500;

/**
 * Takes events received in a window back to `accepted` and queues them again: parked events after
 * a mapping for their schema was added, or any other final state a person chooses. Decisions are
 * idempotent, so a replayed event that is now stale is recorded as such. Reports progress per page.
 */
export async function replayWindow(
  store: Store,
  queues: RelayQueues,
  window: ReplayWindow,
  actor: string,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const states = window.states ?? ['parked'];
  const base = store.db
    .selectFrom('events')
    .where('received_at', '>=', window.since)
    .where('received_at', '<', window.until)
    .where('state', 'in', states);
  const { total } = await base
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  let done = 0;
  for (;;) {
    const page = await base.select(['id', 'tier']).orderBy('received_at').limit(PAGE).execute();
    if (page.length === 0) break;
    const ids = page.map((e) => e.id);
    await writeTransaction(store, async (trx) => {
      await trx
        .updateTable('events')
        .set({ state: 'accepted', reason: `replayed by ${actor}`, updated_at: Date.now() })
        .where('id', 'in', ids)
        .execute();
      await dropUndelivered(trx, ids);
      await dropWaits(trx, ids);
      await appendAudit(
        trx,
        ids.map((id) => ({ actor, action: 'event.replayed', subject: id, detail: { window } })),
      );
    });
    const tiers = new Map(page.map((e) => [e.id, e.tier]));
    await queues.enqueueDecisions(page, (id) => tiers.get(id)!);
    done += page.length;
    onProgress?.(done, Number(total));
  }
  return done;
}

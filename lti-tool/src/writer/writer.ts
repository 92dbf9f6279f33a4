// Applies a verified delivery to Canvas once (DESIGN.md section 5b): a delivery id answered before
// gets the same answer and no write; events an interrupted attempt settled are skipped; the rest
// go to their entity's applier in order, runs of one entity together (a forum batch is one run).
import type { DeliveryItem, EntityType, VerifiedDelivery } from '@cds/shared';
import type { CanvasAgs } from './ags.js';
import type { Applier } from './appliers.js';
import type { CanvasClient } from './canvas-client.js';
import type { EventOutcome, Rejection, WriterStore } from './store.js';

export interface CanvasWriterDeps {
  store: WriterStore;
  ags: CanvasAgs;
  client: CanvasClient;
  appliers: Partial<Record<EntityType, Applier>>;
}

export interface WriteResult {
  rejected: Rejection[];
  /** True when the delivery had been answered before: nothing was written this time. */
  replayed: boolean;
}

/** Consecutive items of the same entity. */
function runs(items: DeliveryItem[]): DeliveryItem[][] {
  const out: DeliveryItem[][] = [];
  for (const item of items) {
    const last = out.at(-1);
    if (last && last[0]!.entity === item.entity) last.push(item);
    else out.push([item]);
  }
  return out;
}

export class CanvasWriter {
  constructor(private readonly deps: CanvasWriterDeps) {}

  /** Throws CanvasUnavailable when Canvas cannot take it now (what was written stays recorded). */
  async write(delivery: VerifiedDelivery): Promise<WriteResult> {
    const { store, ags, client, appliers } = this.deps;
    const answered = await store.completed(delivery.id);
    if (answered) return { rejected: answered, replayed: true };
    const outcomes = await store.outcomes(delivery.id);
    const record = async (eventId: string, outcome: EventOutcome) => {
      if (outcomes.has(eventId)) return;
      outcomes.set(eventId, outcome);
      await store.recordOutcome(delivery.id, eventId, outcome);
    };
    const pending = delivery.items.filter((item) => !outcomes.has(item.eventId));
    for (const run of runs(pending)) {
      const entity = run[0]!.entity;
      const applier = appliers[entity];
      if (!applier) {
        for (const item of run)
          await record(item.eventId, {
            outcome: 'rejected',
            reason: `${entity} does not flow to Canvas: the LTI tool has nothing to write for it`,
          });
        continue;
      }
      await applier(run, {
        ags,
        store,
        issuedAt: delivery.issuedAt,
        record,
        pace: () => client.checkBucket(),
      });
    }
    const rejected = delivery.eventIds.flatMap((eventId) => {
      const outcome = outcomes.get(eventId);
      return outcome?.outcome === 'rejected' ? [{ eventId, reason: outcome.reason }] : [];
    });
    await store.complete(delivery.id, rejected);
    return { rejected, replayed: false };
  }
}

import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import {
  decide,
  eventHash,
  merkleRoot,
  resolveState,
  toCdsError,
  type Action,
  type EntityState,
  type MappingRegistry,
  type PolicyTable,
  type Tier,
} from '@cds/shared';
import { appendAudit, type AuditEntry } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import type { EventState } from '../db/schema.js';
import { writeTransaction, type Tx } from '../db/transaction.js';
import { targetsFor, type RouteTarget } from '../connectors/routing.js';
import { keysWithOpenConflicts, openConflict, settleConflicts } from '../store/conflicts.js';
import { addDeliveries, type NewDelivery } from '../store/deliveries.js';
import { getEventsForDecision, setEventState, type LoggedEvent } from '../store/events.js';
import {
  loadSyncStates,
  lockKeys,
  saveSyncStates,
  type SyncStateWrite,
} from '../store/sync-state.js';

export interface DecideDeps {
  store: Store;
  mappings: MappingRegistry;
  policies: PolicyTable;
  /** The connectors: each applied event goes to those its entity flows to (connectors/routing.ts). */
  targets: readonly RouteTarget[];
}

export interface EventDecision {
  eventId: string;
  key: string;
  tier: Tier;
  action: Action | 'parked';
  state: EventState;
  reason: string;
  /** The connectors an applied event is delivered to; empty for every other decision. */
  targets: string[];
  /** The delivery that carries an applied event (to each of its targets); else undefined. */
  deliveryId?: string;
}

export interface DecideOutcome {
  decisions: EventDecision[];
  /** For a sealed background batch: the Merkle root over its decisions. */
  seal?: { batchId: string; root: string; count: number };
}

const STATE_OF: Record<Action, EventState> = {
  apply: 'delivering',
  stale: 'stale',
  override: 'overridden',
  conflict: 'conflict',
};

/** The Merkle leaf of one decision: binds the event id to its audit record. */
export function decisionLeaf(eventId: string, auditHash: string): string {
  return createHash('sha256').update(`${eventId}:${auditHash}`).digest('hex');
}

/**
 * What one decision transaction reads once and writes once: every touched key's state (read in
 * one query, kept current as events of the same key are decided in order, written at the end), the
 * keys with an open whole-entity conflict, and the audit records.
 */
interface BatchContext {
  states: Map<string, EntityState>;
  writes: Map<string, SyncStateWrite>;
  openConflictKeys: Set<string>;
  audit: AuditEntry[];
}

async function decideOne(
  trx: Tx,
  deps: DecideDeps,
  logged: LoggedEvent,
  batch: BatchContext,
): Promise<EventDecision> {
  const { audit } = batch;
  const base = { eventId: logged.id, key: logged.key, tier: logged.tier };
  let canonical;
  try {
    canonical = deps.mappings.toCanonical(logged.event);
  } catch (error) {
    const failure = toCdsError(error);
    if (failure.code !== 'ERR_UNKNOWN_SCHEMA') throw failure;
    audit.push({
      actor: 'worker',
      action: 'event.parked',
      subject: logged.id,
      detail: { key: logged.key, reason: failure.message, eventHash: eventHash(logged.event) },
    });
    return { ...base, action: 'parked', state: 'parked', reason: failure.message, targets: [] };
  }
  const policy = deps.policies[canonical.entity];
  const decision = decide(policy, batch.states.get(canonical.key), canonical);
  const resolved = resolveState(policy, decision.next);
  batch.states.set(canonical.key, decision.next);
  batch.writes.set(canonical.key, {
    key: canonical.key,
    entity: canonical.entity,
    state: decision.next,
    status: resolved.status,
    reason: decision.reason,
    lastEventId: canonical.id,
  });
  if (decision.action === 'conflict') {
    const heads = Object.values(decision.next.registers)
      .flat()
      .map((head) => head.eventId);
    await openConflict(trx, {
      key: canonical.key,
      entity: canonical.entity,
      eventIds: [...new Set(heads)],
    });
    batch.openConflictKeys.add(canonical.key);
  } else if (resolved.status === 'resolved' && batch.openConflictKeys.has(canonical.key)) {
    await settleConflicts(trx, canonical.key, `settled by event ${canonical.id}`);
    batch.openConflictKeys.delete(canonical.key);
  }
  if (decision.conflictingFields.length > 0) {
    const ids = decision.conflictingFields.flatMap((f) =>
      (decision.next.registers[f] ?? []).map((h) => h.eventId),
    );
    await openConflict(trx, {
      key: canonical.key,
      entity: canonical.entity,
      eventIds: [...new Set(ids)],
      fields: decision.conflictingFields,
    });
  }
  let state = STATE_OF[decision.action];
  const targets = state === 'delivering' ? targetsFor(policy, canonical.source, deps.targets) : [];
  // Nowhere to go (no connector of a side it flows to): applied as decided.
  if (state === 'delivering' && targets.length === 0) state = 'applied';
  audit.push({
    actor: 'worker',
    action: `event.${decision.action}`,
    subject: canonical.id,
    detail: {
      key: canonical.key,
      entity: canonical.entity,
      source: canonical.source,
      vv: canonical.vv,
      reason: decision.reason,
      // The event as stored in the log, so `cds audit verify` notices an edited body.
      eventHash: eventHash(logged.event),
    },
  });
  return { ...base, action: decision.action, state, reason: decision.reason, targets };
}

/**
 * Events decided together go out together: one delivery per tier to each target, carrying every
 * event of that tier routed there (DESIGN.md section 5b), so a target takes a hundred grades in one
 * request, not a hundred. The id is stored with the deliveries, so every retry, sweep and replay
 * sends the same Idempotency-Key. A lone event keeps its own id; a background batch, the batch id.
 */
function assignDeliveries(delivering: EventDecision[], batchId: string | undefined): void {
  const byTier = new Map<Tier, EventDecision[]>();
  for (const d of delivering) byTier.set(d.tier, [...(byTier.get(d.tier) ?? []), d]);
  for (const group of byTier.values()) {
    const id = batchId ?? (group.length === 1 ? group[0]!.eventId : uuidv7());
    for (const d of group) d.deliveryId = id;
  }
}

/**
 * The decision stage of the worker pipeline: for each logged, undecided event, in one transaction:
 * map to the canonical schema, load the entity's state, `decide()`, store the new state, conflicts,
 * event states, the deliveries to make, and the audit records. Events already decided are skipped
 * (idempotent under retries and duplicate jobs). With `batchId`, the batch is sealed with a Merkle
 * root in the audit log.
 */
export async function decideEvents(
  deps: DecideDeps,
  eventIds: readonly string[],
  batchId?: string,
): Promise<DecideOutcome> {
  return writeTransaction(deps.store, async (trx) => {
    const events = (await getEventsForDecision(trx, eventIds))
      .filter((e) => e.state === 'accepted')
      .sort((a, b) => a.received_at - b.received_at || (a.id < b.id ? -1 : 1));
    const keys = events.map((e) => e.key);
    await lockKeys(trx, keys);
    const audit: AuditEntry[] = [];
    const batch: BatchContext = {
      states: await loadSyncStates(trx, keys),
      writes: new Map(),
      openConflictKeys: await keysWithOpenConflicts(trx, keys),
      audit,
    };
    const decisions: EventDecision[] = [];
    for (const logged of events) decisions.push(await decideOne(trx, deps, logged, batch));

    const now = Date.now();
    await saveSyncStates(trx, [...batch.writes.values()], now);
    for (const state of new Set(decisions.map((d) => d.state))) {
      const group = decisions.filter((d) => d.state === state);
      // One reason per event, so group by reason as well to keep updates multi-row.
      for (const reason of new Set(group.map((d) => d.reason))) {
        await setEventState(
          trx,
          group.filter((d) => d.reason === reason).map((d) => d.eventId),
          state,
          reason,
          now,
        );
      }
    }
    const delivering = decisions.filter((d) => d.state === 'delivering');
    assignDeliveries(delivering, batchId);
    await addDeliveries(
      trx,
      delivering.flatMap((d) =>
        d.targets.map((target): NewDelivery => ({
          eventId: d.eventId,
          target,
          deliveryId: d.deliveryId!,
          tier: d.tier,
        })),
      ),
      now,
    );
    const records = await appendAudit(trx, audit, now);
    let seal: DecideOutcome['seal'];
    if (batchId && decisions.length > 0) {
      const hashOf = new Map(records.map((r) => [r.subject, r.hash]));
      const leaves = decisions.map((d) => decisionLeaf(d.eventId, hashOf.get(d.eventId)!));
      seal = { batchId, root: merkleRoot(leaves), count: leaves.length };
      await appendAudit(
        trx,
        [
          {
            actor: 'worker',
            action: 'batch.sealed',
            subject: batchId,
            detail: {
              root: seal.root,
              count: seal.count,
              eventIds: decisions.map((d) => d.eventId),
            },
          },
        ],
        now,
      );
    }
    return { decisions, seal };
  });
}

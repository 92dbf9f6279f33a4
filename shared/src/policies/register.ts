import { compareHlc, type HlcTimestamp } from '../clock/hlc.js';
import { compareVectors, type VersionVector } from '../clock/version-vector.js';
import type { Source } from '../events/entity.js';

/** One version of a value that no other known version supersedes. */
export interface Head {
  eventId: string;
  source: Source;
  vv: VersionVector;
  hlc: HlcTimestamp;
  deleted: boolean;
  value: unknown;
}

/**
 * What the relay stores per entity key: for each register ('*' for the whole entity, or one per
 * field for per-field policies), the versions that no other version dominates. Keeping all of them,
 * not just a winner, is what makes the result independent of delivery order.
 */
export interface EntityState {
  registers: Record<string, Head[]>;
  /** Per-field entities: the fields that say who this is (e.g. user ids), kept apart from the merge. */
  identity?: Record<string, unknown>;
}

export type Placement =
  | { kind: 'duplicate'; by: Head }
  | { kind: 'superseded'; by: Head }
  | { kind: 'placed'; heads: Head[]; replaced: Head[] };

/** Where an incoming version goes among the current heads of one register. */
export function place(heads: readonly Head[], incoming: Head): Placement {
  const replaced: Head[] = [];
  const kept: Head[] = [];
  for (const head of heads) {
    if (head.eventId === incoming.eventId) return { kind: 'duplicate', by: head };
    const order = compareVectors(incoming.vv, head.vv);
    if (order === 'dominated') return { kind: 'superseded', by: head };
    if (order === 'dominates') replaced.push(head);
    else kept.push(head);
  }
  return { kind: 'placed', heads: [...kept, incoming], replaced };
}

/** Deterministic order for heads a policy ranks equally: newest HLC, then event id. */
export function newestFirst(a: Head, b: Head): number {
  return compareHlc(b.hlc, a.hlc) || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0);
}

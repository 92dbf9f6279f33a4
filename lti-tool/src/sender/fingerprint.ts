// What "the same change" means across the two capture paths. A Live Event's SyncEvent id hashes
// its whole body and its event_time (shared/src/platforms/canvas/map.ts), and the REST API cannot
// reproduce either: grade_change carries old_grade/old_score, and event_time is when Canvas emitted
// the event, not a field of any REST object. So the two paths give different ids for one change,
// and dedupe is by content instead: per entity key, the fields both paths reproduce exactly.
import { canonicalJson, type SyncEvent } from '@cds/shared';

/**
 * Payload fields left out of the comparison: times whose source differs between paths (the event's
 * emission time vs the record's timestamp, with or without milliseconds), and texts the REST list
 * endpoints do not return (a submission's body and url).
 */
const VOLATILE: Partial<Record<SyncEvent['entity'], readonly string[]>> = {
  grade: ['graded_at'],
  assignment_submission: ['submitted_at', 'body', 'url'],
  enrollment: ['created_at', 'updated_at'],
  content_edit: ['updated_at', 'edited_by'],
};

/** Canonical JSON of the event's payload without its volatile fields, plus its op. */
export function fingerprint(event: SyncEvent): string {
  const drop = new Set(VOLATILE[event.entity] ?? []);
  const kept = Object.fromEntries(
    Object.entries(event.payload as Record<string, unknown>).filter(([name]) => !drop.has(name)),
  );
  return canonicalJson({ op: event.op, payload: kept });
}

/** The change time of an event from Canvas: `vv.canvas` (ms), as the mapping sets it. */
export function changedAt(event: SyncEvent): number {
  return event.vv.canvas ?? event.hlc.wall;
}

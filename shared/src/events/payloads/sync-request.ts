import { z } from 'zod';
import { canvasId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A person asked for a course to be synced now (the LTI page's "Sync now"): always a `manual`
 * event. Each side takes it as a trigger, not as data: the LTI tool back-fills the course from
 * Canvas's REST API at once (instead of at its next poll), the Discourse side re-reads the
 * course's category. One key per course, so the newest request supersedes older ones.
 */
export const syncRequestV1 = z.object({
  course_id: canvasId,
  /** The Canvas user who asked (from their verified launch). */
  requested_by: canvasId,
  requested_at: timestamp,
  /** Shown in the status UIs with the request. */
  reason: z.string().max(255).optional(),
});
export type SyncRequestV1 = z.infer<typeof syncRequestV1>;

/** `course:<id>/sync:course`: inside the course, so its instructors see it; unlike any other key. */
export const syncRequestKey = (p: SyncRequestV1): string => `course:${p.course_id}/sync:course`;

export function syncRequestExample(seq: number): SyncRequestV1 {
  return {
    course_id: exampleCanvasId(565 + seq * 1000),
    requested_by: exampleCanvasId(987),
    requested_at: exampleTime(seq),
    reason: 'Sync now, from the course page',
  };
}

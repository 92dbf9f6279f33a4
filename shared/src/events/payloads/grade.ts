import { z } from 'zod';
import { canvasId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A student's grade on one Canvas assignment. Fields follow the Canvas `grade_change` Live Event
 * (doc/api/data_services/json/canvas/event-types/grade_change.json; sample in
 * ../shared/reference/canvas-lms/live-events/) plus the course, which Canvas puts in the event's
 * metadata (`context_id`). The Discourse side writes participation grades through LTI AGS scores
 * (https://www.imsglobal.org/spec/lti-ags/v2p0#score-publish-service): `score`/`points_possible`
 * map to `scoreGiven`/`scoreMaximum`, `grading_complete` to `gradingProgress: FullyGraded`.
 */
export const gradeV1 = z.object({
  course_id: canvasId,
  assignment_id: canvasId,
  user_id: canvasId,
  submission_id: canvasId.optional(),
  /** The score in points; null when a grade is removed. */
  score: z.number().finite().nullable(),
  points_possible: z.number().finite().nonnegative().nullable(),
  /** The grade in the assignment's grading scheme: "5", "A-", "complete", or null. */
  grade: z.string().max(255).nullable(),
  grading_complete: z.boolean(),
  /** Muted (unposted) grades must not be shown to students on either side. */
  muted: z.boolean().default(false),
  /** Null for automatic grading (a quiz scored by Canvas). */
  grader_id: canvasId.nullable().optional(),
  graded_at: timestamp.optional(),
});
export type GradeV1 = z.infer<typeof gradeV1>;

export const gradeKey = (p: GradeV1): string =>
  `course:${p.course_id}/user:${p.user_id}/assignment:${p.assignment_id}`;

export function gradeExample(seq: number): GradeV1 {
  return {
    course_id: '565',
    assignment_id: exampleCanvasId(355),
    user_id: exampleCanvasId(seq, 20000),
    submission_id: exampleCanvasId(seq, 40000),
    score: 4 + (seq % 7),
    points_possible: 10,
    grade: String(4 + (seq % 7)),
    grading_complete: true,
    muted: false,
    grader_id: exampleCanvasId(987),
    graded_at: exampleTime(seq),
  };
}

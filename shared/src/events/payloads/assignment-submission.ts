import { z } from 'zod';
import { canvasId, discourseId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A student's submission of a Canvas assignment. Fields follow the Canvas `submission_created` /
 * `submission_updated` Live Events (doc/api/data_services/json/canvas/event-types/submission_created.json;
 * sample in ../shared/reference/canvas-lms/live-events/) plus the course from the event metadata.
 * Discourse shows the status on the assignment's linked topic (`discourse_topic_id`).
 */
export const assignmentSubmissionV1 = z.object({
  course_id: canvasId,
  assignment_id: canvasId,
  submission_id: canvasId,
  user_id: canvasId,
  attempt: z.number().int().nonnegative().nullable(),
  submission_type: z
    .enum([
      'basic_lti_launch',
      'discussion_topic',
      'media_recording',
      'online_quiz',
      'online_text_entry',
      'online_upload',
      'online_url',
      'student_annotation',
    ])
    .nullable(),
  workflow_state: z.enum(['submitted', 'unsubmitted', 'graded', 'pending_review']),
  submitted_at: timestamp.nullable(),
  late: z.boolean(),
  missing: z.boolean(),
  /** Canvas truncates inline text bodies to 8192 characters. */
  body: z.string().max(8192).nullable().optional(),
  url: z.url().nullable().optional(),
  discourse_topic_id: discourseId.optional(),
});
export type AssignmentSubmissionV1 = z.infer<typeof assignmentSubmissionV1>;

export const assignmentSubmissionKey = (p: AssignmentSubmissionV1): string =>
  `course:${p.course_id}/user:${p.user_id}/submission:${p.submission_id}`;

export function assignmentSubmissionExample(seq: number): AssignmentSubmissionV1 {
  return {
    course_id: '565',
    assignment_id: exampleCanvasId(371),
    submission_id: exampleCanvasId(seq, 50000),
    user_id: exampleCanvasId(seq, 20000),
    attempt: 1,
    submission_type: 'online_text_entry',
    workflow_state: 'submitted',
    submitted_at: exampleTime(seq),
    late: seq % 5 === 0,
    missing: false,
    body: `Essay draft ${seq}`,
    discourse_topic_id: 812,
  };
}

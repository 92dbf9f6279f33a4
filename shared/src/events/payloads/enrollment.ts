import { z } from 'zod';
import { canvasId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A user's enrollment in a Canvas course; Discourse mirrors it as membership of the course group.
 * The shape is the body of the Canvas `enrollment_created` / `enrollment_updated` Live Events
 * (doc/api/data_services/json/canvas/event-types/enrollment_created.json; sample in
 * ../shared/reference/canvas-lms/live-events/), so a Live Event body is a valid payload as is.
 */
export const enrollmentV1 = z.object({
  enrollment_id: canvasId,
  course_id: canvasId,
  course_section_id: canvasId,
  user_id: canvasId,
  user_name: z.string().min(1).max(255),
  type: z.enum([
    'StudentEnrollment',
    'TeacherEnrollment',
    'TaEnrollment',
    'DesignerEnrollment',
    'ObserverEnrollment',
  ]),
  workflow_state: z.enum([
    'active',
    'completed',
    'creation_pending',
    'deleted',
    'inactive',
    'invited',
    'rejected',
  ]),
  limit_privileges_to_course_section: z.boolean(),
  /** Only on observer enrollments: the observed student. */
  associated_user_id: canvasId.optional(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type EnrollmentV1 = z.infer<typeof enrollmentV1>;

export const enrollmentKey = (p: EnrollmentV1): string =>
  `course:${p.course_id}/enrollment:${p.enrollment_id}`;

export function enrollmentExample(seq: number): EnrollmentV1 {
  return {
    enrollment_id: exampleCanvasId(seq, 46000),
    course_id: exampleCanvasId(565),
    course_section_id: exampleCanvasId(4811),
    user_id: exampleCanvasId(seq, 20000),
    user_name: `Student ${seq}`,
    type: 'StudentEnrollment',
    workflow_state: 'active',
    limit_privileges_to_course_section: false,
    created_at: exampleTime(seq),
    updated_at: exampleTime(seq),
  };
}

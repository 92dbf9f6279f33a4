import { z } from 'zod';
import { canvasId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A student met all module requirements of a course. The shape is the body of the Canvas
 * `course_completed` Live Event as published
 * (doc/api/data_services/json/canvas/event-types/course_completed.json; sample in
 * ../shared/reference/canvas-lms/live-events/), so a Live Event body is a valid payload as is.
 */
export const courseCompletionV1 = z.object({
  course: z.object({
    id: canvasId,
    account_id: canvasId,
    name: z.string().min(1).max(255),
    sis_source_id: z.string().max(255).nullable().optional(),
  }),
  user: z.object({
    id: canvasId,
    name: z.string().min(1).max(255),
    email: z.email().nullable().optional(),
  }),
  progress: z.object({
    requirement_count: z.number().int().nonnegative(),
    requirement_completed_count: z.number().int().nonnegative(),
    /** Usually null once everything required is done. */
    next_requirement_url: z.url().nullable(),
    completed_at: timestamp.nullable(),
  }),
});
export type CourseCompletionV1 = z.infer<typeof courseCompletionV1>;

/** `completion:` first, so the key never equals another entity's key for the same course and user. */
export const courseCompletionKey = (p: CourseCompletionV1): string =>
  `completion:${p.course.id}/user:${p.user.id}`;

export function courseCompletionExample(seq: number): CourseCompletionV1 {
  return {
    course: {
      id: '565',
      account_id: '79',
      name: 'Computer Science I',
      sis_source_id: '2017.100.101.101-1',
    },
    user: {
      id: exampleCanvasId(seq, 20000),
      name: `Student ${seq}`,
      email: `student${seq}@school.example.edu`,
    },
    progress: {
      requirement_count: 12,
      requirement_completed_count: 12,
      next_requirement_url: null,
      completed_at: exampleTime(seq),
    },
  };
}

import { z } from 'zod';
import { canvasId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A student's result in a Canvas quiz (exam). Fields follow the Canvas `quiz_submitted` Live Event
 * (https://canvas.instructure.com/doc/api/file.data_service_canvas_quiz.html) and the Quiz
 * Submissions API (https://canvas.instructure.com/doc/api/quiz_submissions.html: `score`,
 * `kept_score`, `quiz_points_possible`, `attempt`, `workflow_state`, `finished_at`). Discourse uses it
 * to unlock a group or grant a badge when `passed`.
 */
export const examResultV1 = z.object({
  course_id: canvasId,
  quiz_id: canvasId,
  user_id: canvasId,
  quiz_submission_id: canvasId,
  attempt: z.number().int().positive(),
  score: z.number().finite().nullable(),
  /** The score Canvas keeps across attempts (highest, latest or average, per the quiz's settings). */
  kept_score: z.number().finite().nullable(),
  quiz_points_possible: z.number().finite().nonnegative(),
  workflow_state: z.enum(['untaken', 'pending_review', 'complete', 'settings_only', 'preview']),
  finished_at: timestamp.nullable(),
  /** Whether the kept score reaches the pass mark the instructor set for unlocking. */
  passed: z.boolean(),
});
export type ExamResultV1 = z.infer<typeof examResultV1>;

export const examResultKey = (p: ExamResultV1): string =>
  `course:${p.course_id}/user:${p.user_id}/quiz:${p.quiz_id}`;

export function examResultExample(seq: number): ExamResultV1 {
  const score = 50 + (seq % 50);
  return {
    course_id: '565',
    quiz_id: exampleCanvasId(71),
    user_id: exampleCanvasId(seq, 20000),
    quiz_submission_id: exampleCanvasId(seq, 60000),
    attempt: 1,
    score,
    kept_score: score,
    quiz_points_possible: 100,
    workflow_state: 'complete',
    finished_at: exampleTime(seq),
    passed: score >= 70,
  };
}

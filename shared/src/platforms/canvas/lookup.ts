import { z } from 'zod';
import { CdsError } from '../../errors.js';
import { describeZodError } from '../../events/sync-event.js';

/** Canvas REST sends integer ids unless asked for strings; the mapping keeps them as strings. */
const restId = z
  .union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()])
  .transform(String);

/**
 * The fields of a Canvas QuizSubmission the exam_result mapping needs, as
 * `GET /api/v1/courses/:course_id/quizzes/:quiz_id/submissions/:id` returns them (inside
 * `{quiz_submissions: [...]}`): https://canvas.instructure.com/doc/api/quiz_submissions.html
 */
export const canvasQuizSubmissionSchema = z.object({
  id: restId,
  quiz_id: restId,
  user_id: restId,
  attempt: z.number().int().positive(),
  score: z.number().nullable(),
  kept_score: z.number().nullable(),
  quiz_points_possible: z.number().nonnegative(),
  workflow_state: z.enum(['untaken', 'pending_review', 'complete', 'settings_only', 'preview']),
  finished_at: z.string().nullable(),
});
export type CanvasQuizSubmission = z.input<typeof canvasQuizSubmissionSchema>;

/**
 * A wiki page as `GET /api/v1/courses/:course_id/pages/:url_or_id` returns it:
 * https://canvas.instructure.com/doc/api/pages.html#Page
 */
export const canvasWikiPageSchema = z.object({
  title: z.string(),
  body: z.string().nullable(),
});
export type CanvasWikiPage = z.input<typeof canvasWikiPageSchema>;

/**
 * What the mapping asks Canvas when a Live Event does not carry enough. The LTI tool implements it
 * with the REST API; without it the events that need it are skipped with a reason. Resolve to
 * `undefined` when Canvas answers 404; throw on anything transient, so the caller retries.
 */
export interface CanvasLookup {
  /** quiz_submitted carries ids only: the score comes from the Quiz Submissions API. */
  quizSubmission?(ref: {
    courseId: string;
    quizId: string;
    quizSubmissionId: string;
  }): Promise<CanvasQuizSubmission | undefined>;
  /** wiki_page_updated cuts the body at 8192 characters: the Pages API has the whole page. */
  wikiPage?(ref: { courseId: string; pageId: string }): Promise<CanvasWikiPage | undefined>;
}

/** Checks what a lookup returned; a wrong shape is Canvas (or the lookup) breaking its contract. */
export function checkLookup<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new CdsError('ERR_MALFORMED', `${what}: ${describeZodError(result.error)}`, {
      cause: result.error,
    });
  return result.data as z.output<T>;
}

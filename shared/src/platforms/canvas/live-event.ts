import { z } from 'zod';
import { InvalidEvent } from '../../errors.js';
import { canvasId, timestamp } from '../../events/payloads/common.js';
import { describeZodError } from '../../events/sync-event.js';

/**
 * Canvas Live Events in the "Canvas" format (not Caliper): `{metadata, body}`, ids as strings of
 * digits (Canvas stringifies every id, lib/canvas/live_events.rb `post_event_stringified`), and a
 * body whose fields depend on `metadata.event_name`. Shapes follow the published event types:
 * https://developerdocs.instructure.com/services/canvas/data-services/live-events/event-format/canvas/file.data_service_canvas_grade
 * and its siblings file.data_service_canvas_{submission,quiz,course,enrollment,user,wiki}, built
 * from canvas-lms doc/api/data_services/json/canvas/{metadata.json,event-types/*.json}.
 * Subscriptions with "compact" events drop null fields, so every nullable field is also optional.
 */

/** The metadata fields the mapping reads; the others (request, session...) are kept as sent. */
export const liveEventMetadataSchema = z.looseObject({
  event_name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a Live Event name like grade_change'),
  /** "The time that Canvas emitted the event, in ISO 8601 format with millisecond precision." */
  event_time: timestamp,
  /** Course, Account, Group, User...; absent on system-generated events without a context. */
  context_type: z.string().nullish(),
  context_id: canvasId.nullish(),
  /** The user whose request caused the event; absent on system-generated events. */
  user_id: canvasId.nullish(),
  /** The root account's global id: its shard places the local ids some bodies send. */
  root_account_id: canvasId.nullish(),
});
export type LiveEventMetadata = z.infer<typeof liveEventMetadataSchema>;

export const liveEventSchema = z.object({
  metadata: liveEventMetadataSchema,
  body: z.record(z.string(), z.unknown()),
});
export type LiveEvent = z.infer<typeof liveEventSchema>;

/** grade_change (file.data_service_canvas_grade). */
export const gradeChangeBody = z.object({
  submission_id: canvasId,
  assignment_id: canvasId,
  /** "Same as the user_id": the student. Preferred, as one documented example differs. */
  student_id: canvasId.nullish(),
  user_id: canvasId,
  grade: z.string().nullish(),
  score: z.number().nullish(),
  points_possible: z.number().nullish(),
  /** Null when Canvas graded automatically. */
  grader_id: canvasId.nullish(),
  grading_complete: z.boolean(),
  /** `!submission.posted?`: not yet visible to the student. */
  muted: z.boolean().nullish(),
});

/** submission_created / submission_updated (file.data_service_canvas_submission). */
export const submissionBody = z.object({
  submission_id: canvasId,
  assignment_id: canvasId,
  user_id: canvasId,
  attempt: z.number().int().nullish(),
  submission_type: z.string().nullish(),
  workflow_state: z.string(),
  submitted_at: timestamp.nullish(),
  late: z.boolean(),
  missing: z.boolean(),
  /** Truncated by Canvas to its first 8192 characters. */
  body: z.string().nullish(),
  url: z.string().nullish(),
});

/** quiz_submitted, classic quizzes (file.data_service_canvas_quiz): ids only, no score. */
export const quizSubmittedBody = z.object({
  quiz_id: canvasId,
  /** The quiz submission's id (not the assignment submission's). */
  submission_id: canvasId,
});

/** course_completed (file.data_service_canvas_course): local ids (`course.slice(:id, ...)`). */
export const courseCompletedBody = z.object({
  course: z.object({
    id: canvasId,
    account_id: canvasId,
    name: z.string(),
    sis_source_id: z.string().nullish(),
  }),
  user: z.object({ id: canvasId, name: z.string(), email: z.string().nullish() }),
  progress: z.object({
    requirement_count: z.number().int(),
    requirement_completed_count: z.number().int(),
    next_requirement_url: z.string().nullish(),
    completed_at: timestamp.nullish(),
  }),
});

/** enrollment_created / enrollment_updated (file.data_service_canvas_enrollment). */
export const enrollmentBody = z.object({
  enrollment_id: canvasId,
  course_id: canvasId,
  course_section_id: canvasId,
  user_id: canvasId,
  user_name: z.string(),
  type: z.string(),
  workflow_state: z.string(),
  limit_privileges_to_course_section: z.boolean(),
  /** Only on observer enrollments. */
  associated_user_id: canvasId.nullish(),
  created_at: timestamp,
  updated_at: timestamp,
});

/**
 * user_updated (file.data_service_canvas_user). `updated_at` is not read: the documented example
 * carries "019-11-01T19:11:01.163Z", so the change time comes from the metadata instead.
 */
export const userUpdatedBody = z.object({
  user_id: canvasId,
  name: z.string().nullish(),
  short_name: z.string().nullish(),
});

/** wiki_page_updated (file.data_service_canvas_wiki): title and body cut at 8192 characters. */
export const wikiPageUpdatedBody = z.object({
  wiki_page_id: canvasId,
  title: z.string(),
  body: z.string().nullish(),
});

/** How many characters Canvas keeps of long text fields (`LiveEvents.truncate`). */
export const LIVE_EVENT_TRUNCATE_AT = 8192;

/**
 * Checks the envelope of a Live Event. Throws InvalidEvent naming what is wrong: not an object,
 * the Caliper format, no `metadata.event_name`, a bad `event_time`...
 */
export function parseLiveEvent(input: unknown): LiveEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidEvent('a Canvas Live Event must be a JSON object {metadata, body}');
  // Caliper's envelope has sensor, sendTime, dataVersion and data:
  // https://www.imsglobal.org/spec/caliper/v1p2#envelope
  if ('sensor' in input && 'dataVersion' in input)
    throw new InvalidEvent(
      'this looks like a Caliper event: choose the "Canvas" format for the Live Events subscription',
    );
  const result = liveEventSchema.safeParse(input);
  if (!result.success)
    throw new InvalidEvent(`invalid Canvas Live Event: ${describeZodError(result.error)}`, {
      cause: result.error,
    });
  return result.data;
}

/** Validates the body of a known event; the error names the event and each wrong field. */
export function parseBody<T extends z.ZodType>(event: LiveEvent, schema: T): z.infer<T> {
  const result = schema.safeParse(event.body);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${['body', ...issue.path.map(String)].join('.')}: ${issue.message}`,
    );
    throw new InvalidEvent(`invalid ${event.metadata.event_name} body: ${issues.join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data as z.infer<T>;
}

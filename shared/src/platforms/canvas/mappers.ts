import type { EntityType } from '../../events/entity.js';
import type { SyncEvent } from '../../events/sync-event.js';
import {
  courseCompletedBody,
  enrollmentBody,
  gradeChangeBody,
  LIVE_EVENT_TRUNCATE_AT,
  parseBody,
  quizSubmittedBody,
  submissionBody,
  userUpdatedBody,
  wikiPageUpdatedBody,
  type LiveEvent,
} from './live-event.js';
import {
  canvasQuizSubmissionSchema,
  canvasWikiPageSchema,
  checkLookup,
  type CanvasLookup,
} from './lookup.js';
import { globalCanvasId } from './ids.js';

// One function per mapped Live Event: what entity instances its body gives, or why none.

/** What one Live Event becomes: unsigned SyncEvents (source `canvas`), or nothing and why. */
export type CanvasMapResult = { events: SyncEvent[] } | { skipped: string };

export interface CanvasMapOptions {
  /** Asks Canvas what an event leaves out. @defaultValue none: quiz_submitted is skipped */
  lookup?: CanvasLookup;
  /** Courses (local or global ids) whose completion issues a certificate. @defaultValue none */
  certificateCourses?: Iterable<string>;
  /** Share of the points the kept score must reach for `exam_result.passed`. @defaultValue 0.7 */
  examPassFraction?: number;
  /** The course of events whose metadata has no Course context. @defaultValue none: skipped */
  defaultCourseId?: string;
}

/** The Live Events that become SyncEvents, and the entities each one gives. */
export const CANVAS_MAPPED_EVENTS = {
  grade_change: ['grade'],
  submission_created: ['assignment_submission'],
  submission_updated: ['assignment_submission'],
  quiz_submitted: ['exam_result'],
  course_completed: ['course_completion', 'certificate'],
  enrollment_created: ['enrollment'],
  enrollment_updated: ['enrollment'],
  user_updated: ['profile'],
  wiki_page_updated: ['content_edit'],
} as const satisfies Record<string, readonly EntityType[]>;
export type MappedEvent = keyof typeof CANVAS_MAPPED_EVENTS;

/** One entity instance a Live Event gives, before it gets its envelope. */
export interface Draft {
  entity: EntityType;
  payload: Record<string, unknown>;
}

export interface Context {
  event: LiveEvent;
  options: CanvasMapOptions;
  /** The course named by the metadata's Course context (or the default), if any. */
  course: string | undefined;
}

type Mapper = (
  ctx: Context,
) => Promise<Draft[] | { skipped: string }> | Draft[] | { skipped: string };

/** A body this long may have been cut by Canvas (`LiveEvents.truncate`, 8192 characters). */
const POSSIBLY_TRUNCATED_AT = LIVE_EVENT_TRUNCATE_AT - 16;

const noCourse = (ctx: Context, entity: EntityType) => ({
  skipped: `Live Event "${ctx.event.metadata.event_name}" names no course (its metadata has no Course context), so the ${entity} cannot be keyed`,
});

export const MAPPERS: Record<MappedEvent, Mapper> = {
  grade_change(ctx) {
    const b = parseBody(ctx.event, gradeChangeBody);
    if (!ctx.course) return noCourse(ctx, 'grade');
    return [
      {
        entity: 'grade',
        payload: {
          course_id: ctx.course,
          assignment_id: b.assignment_id,
          user_id: b.student_id ?? b.user_id,
          submission_id: b.submission_id,
          score: b.score ?? null,
          points_possible: b.points_possible ?? null,
          grade: b.grade ?? null,
          grading_complete: b.grading_complete,
          muted: b.muted ?? false,
          grader_id: b.grader_id ?? null,
          graded_at: ctx.event.metadata.event_time,
        },
      },
    ];
  },

  submission_created: (ctx) => mapSubmission(ctx),
  submission_updated: (ctx) => mapSubmission(ctx),

  async quiz_submitted(ctx) {
    const b = parseBody(ctx.event, quizSubmittedBody);
    if (!ctx.course) return noCourse(ctx, 'exam_result');
    const lookup = ctx.options.lookup?.quizSubmission?.bind(ctx.options.lookup);
    if (!lookup)
      return {
        skipped: `quiz_submitted carries no score: its exam_result needs the quiz submission from the Quiz Submissions API (a CanvasLookup with quizSubmission)`,
      };
    const what = `quiz submission ${b.submission_id} of quiz ${b.quiz_id} in course ${ctx.course}`;
    const found = await lookup({
      courseId: ctx.course,
      quizId: b.quiz_id,
      quizSubmissionId: b.submission_id,
    });
    if (!found) return { skipped: `${what} is not in Canvas (404)` };
    const qs = checkLookup(canvasQuizSubmissionSchema, found, `Canvas ${what}`);
    if (qs.workflow_state !== 'complete' && qs.workflow_state !== 'pending_review')
      return { skipped: `${what} is "${qs.workflow_state}", not a finished attempt` };
    const kept = qs.kept_score ?? qs.score;
    const fraction = ctx.options.examPassFraction ?? 0.7;
    return [
      {
        entity: 'exam_result',
        payload: {
          course_id: ctx.course,
          quiz_id: b.quiz_id,
          user_id: qs.user_id,
          quiz_submission_id: b.submission_id,
          attempt: qs.attempt,
          score: qs.score,
          kept_score: qs.kept_score,
          quiz_points_possible: qs.quiz_points_possible,
          workflow_state: qs.workflow_state,
          finished_at: qs.finished_at,
          passed:
            kept !== null &&
            qs.quiz_points_possible > 0 &&
            kept >= fraction * qs.quiz_points_possible,
        },
      },
    ];
  },

  course_completed(ctx) {
    const body = parseBody(ctx.event, courseCompletedBody);
    const { progress } = body;
    // The body names the course and user by local ids: key them globally, as every other event.
    const shardOf = ctx.event.metadata.root_account_id ?? ctx.event.metadata.context_id;
    const course = {
      ...body.course,
      id: globalCanvasId(body.course.id, shardOf),
      account_id: globalCanvasId(body.course.account_id, shardOf),
    };
    const user = { ...body.user, id: globalCanvasId(body.user.id, shardOf) };
    const completedAt = progress.completed_at ?? null;
    const drafts: Draft[] = [
      {
        entity: 'course_completion',
        payload: {
          course: {
            id: course.id,
            account_id: course.account_id,
            name: course.name,
            ...(course.sis_source_id != null && { sis_source_id: course.sis_source_id }),
          },
          user: { id: user.id, name: user.name, ...(user.email && { email: user.email }) },
          progress: {
            requirement_count: progress.requirement_count,
            requirement_completed_count: progress.requirement_completed_count,
            next_requirement_url: progress.next_requirement_url || null,
            completed_at: completedAt,
          },
        },
      },
    ];
    const issuing = new Set(ctx.options.certificateCourses ?? []);
    // An admin may list the course by its local id (as Canvas's pages show it) or its global one.
    if (issuing.has(course.id) || issuing.has(body.course.id)) {
      drafts.push({
        entity: 'certificate',
        payload: {
          course_id: course.id,
          user_id: user.id,
          certificate_id: `canvas-completion-${course.id}-${user.id}`,
          title: `Certificate of completion: ${course.name}`.slice(0, 255),
          issued_at: completedAt ?? ctx.event.metadata.event_time,
          expires_at: null,
          revoked: false,
        },
      });
    }
    return drafts;
  },

  enrollment_created: (ctx) => mapEnrollment(ctx),
  enrollment_updated: (ctx) => mapEnrollment(ctx),

  user_updated(ctx) {
    const b = parseBody(ctx.event, userUpdatedBody);
    const fields = {
      ...(b.name && { name: b.name }),
      ...(b.short_name && { short_name: b.short_name }),
    };
    if (Object.keys(fields).length === 0)
      return {
        skipped: 'user_updated carries none of the profile fields Canvas owns (name, short_name)',
      };
    return [{ entity: 'profile', payload: { canvas_user_id: b.user_id, ...fields } }];
  },

  async wiki_page_updated(ctx) {
    const b = parseBody(ctx.event, wikiPageUpdatedBody);
    if (!ctx.course) return noCourse(ctx, 'content_edit');
    let { title, body } = b;
    if ((body?.length ?? 0) >= POSSIBLY_TRUNCATED_AT || title.length >= POSSIBLY_TRUNCATED_AT) {
      // Mirroring a cut page would cut it on the forum too: fetch the whole page, or wait.
      const what = `page ${b.wiki_page_id} of course ${ctx.course}`;
      const lookup = ctx.options.lookup?.wikiPage?.bind(ctx.options.lookup);
      if (!lookup)
        return {
          skipped: `${what} may be truncated by Canvas (${LIVE_EVENT_TRUNCATE_AT} characters): its content_edit needs the page from the Pages API (a CanvasLookup with wikiPage)`,
        };
      const found = await lookup({ courseId: ctx.course, pageId: b.wiki_page_id });
      if (!found) return { skipped: `${what} is not in Canvas (404)` };
      ({ title, body } = checkLookup(canvasWikiPageSchema, found, `Canvas ${what}`));
    }
    const { user_id: userId, job_tag: jobTag } = ctx.event.metadata;
    return [
      {
        entity: 'content_edit',
        payload: {
          origin: 'canvas',
          course_id: ctx.course,
          content_type: 'page',
          content_id: b.wiki_page_id,
          title,
          body_html: body ?? '',
          updated_at: ctx.event.metadata.event_time,
          // System-generated edits (a course import) have no user: name the job instead.
          edited_by: userId ?? (typeof jobTag === 'string' ? `job:${jobTag}` : 'canvas'),
        },
      },
    ];
  },
};

function mapSubmission(ctx: Context): Draft[] | { skipped: string } {
  const b = parseBody(ctx.event, submissionBody);
  if (!ctx.course) return noCourse(ctx, 'assignment_submission');
  if (b.workflow_state === 'deleted')
    return {
      skipped: `submission ${b.submission_id} was deleted in Canvas; deletions are not synced`,
    };
  return [
    {
      entity: 'assignment_submission',
      payload: {
        course_id: ctx.course,
        assignment_id: b.assignment_id,
        submission_id: b.submission_id,
        user_id: b.user_id,
        attempt: b.attempt ?? null,
        submission_type: b.submission_type ?? null,
        workflow_state: b.workflow_state,
        submitted_at: b.submitted_at ?? null,
        late: b.late,
        missing: b.missing,
        body: b.body ?? null,
        url: b.url || null,
      },
    },
  ];
}

function mapEnrollment(ctx: Context): Draft[] | { skipped: string } {
  const b = parseBody(ctx.event, enrollmentBody);
  if (b.type === 'StudentViewEnrollment')
    return {
      skipped: "enrollments of Canvas's test student (StudentViewEnrollment) are not synced",
    };
  const { associated_user_id: observed, ...rest } = b;
  return [
    {
      entity: 'enrollment',
      payload: { ...rest, ...(observed && { associated_user_id: observed }) },
    },
  ];
}

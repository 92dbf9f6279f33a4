// REST records as the Live Events Canvas would have sent for them, so the poller's changes go
// through the same mapping (mapCanvasLiveEvent) and get the same keys and payloads as the Live
// Events path. Ids become global (poller/ids.ts). The bodies cannot be the Live Events' exactly
// (grade_change's old_* fields, event_time): dedupe across the paths is by content (sender/fingerprint.ts).
import { canvasIdOnShard as globalId } from '@cds/shared';

/** A Submission as `GET /api/v1/courses/:id/students/submissions` returns it (https://canvas.instructure.com/doc/api/submissions.html#Submission). */
export interface RestSubmission {
  id: number | string;
  assignment_id: number | string;
  user_id: number | string;
  score: number | null;
  grade: string | null;
  graded_at: string | null;
  /** Negative for Canvas's automatic grading (quizzes), null when ungraded. */
  grader_id: number | string | null;
  workflow_state: string;
  posted_at?: string | null;
  submitted_at: string | null;
  submission_type: string | null;
  attempt: number | null;
  late?: boolean;
  missing?: boolean;
  body?: string | null;
  url?: string | null;
}

/** An Assignment's fields the grade needs (https://canvas.instructure.com/doc/api/assignments.html#Assignment). */
export interface RestAssignment {
  id: number | string;
  points_possible: number | null;
}

/** An Enrollment (https://canvas.instructure.com/doc/api/enrollments.html#Enrollment). */
export interface RestEnrollment {
  id: number | string;
  course_id: number | string;
  course_section_id: number | string;
  user_id: number | string;
  type: string;
  enrollment_state: string;
  limit_privileges_to_course_section?: boolean;
  associated_user_id?: number | string | null;
  created_at: string;
  updated_at: string;
  user?: { name?: string };
}

export interface LiveEventShape {
  metadata: {
    event_name: string;
    event_time: string;
    context_type: 'Course';
    context_id: string;
    producer: 'canvas-poller';
  };
  body: Record<string, unknown>;
}

function envelope(
  name: string,
  time: string,
  course: string,
  body: Record<string, unknown>,
): LiveEventShape {
  return {
    metadata: {
      event_name: name,
      event_time: new Date(time).toISOString(),
      context_type: 'Course',
      context_id: course,
      producer: 'canvas-poller',
    },
    body,
  };
}

const g = (id: number | string, shard: bigint) => globalId(id, shard)!;

/** A graded submission as grade_change (file.data_service_canvas_grade). */
export function gradeChangeOf(
  s: RestSubmission,
  assignment: RestAssignment | undefined,
  course: string,
  shard: bigint,
): LiveEventShape | undefined {
  if (!s.graded_at) return undefined;
  return envelope('grade_change', s.graded_at, course, {
    submission_id: g(s.id, shard),
    assignment_id: g(s.assignment_id, shard),
    user_id: g(s.user_id, shard),
    student_id: g(s.user_id, shard),
    grade: s.grade,
    score: s.score,
    points_possible: assignment?.points_possible ?? null,
    grader_id: globalId(s.grader_id, shard),
    grading_complete: s.workflow_state === 'graded',
    // Canvas's `muted` is `!submission.posted?`.
    muted: s.posted_at === undefined ? false : s.posted_at === null,
  });
}

/** A submitted submission as submission_created / submission_updated (file.data_service_canvas_submission). */
export function submissionEventOf(
  s: RestSubmission,
  course: string,
  shard: bigint,
): LiveEventShape | undefined {
  if (!s.submitted_at || s.workflow_state === 'unsubmitted') return undefined;
  return envelope(
    (s.attempt ?? 1) > 1 ? 'submission_updated' : 'submission_created',
    s.submitted_at,
    course,
    {
      submission_id: g(s.id, shard),
      assignment_id: g(s.assignment_id, shard),
      user_id: g(s.user_id, shard),
      attempt: s.attempt,
      submission_type: s.submission_type,
      workflow_state: s.workflow_state,
      submitted_at: s.submitted_at,
      late: s.late ?? false,
      missing: s.missing ?? false,
      body: s.body ?? null,
      url: s.url ?? null,
    },
  );
}

/** An enrollment as enrollment_created / enrollment_updated (file.data_service_canvas_enrollment). */
export function enrollmentEventOf(
  e: RestEnrollment,
  course: string,
  shard: bigint,
): LiveEventShape {
  const name = e.created_at === e.updated_at ? 'enrollment_created' : 'enrollment_updated';
  return envelope(name, e.updated_at, course, {
    enrollment_id: g(e.id, shard),
    course_id: g(e.course_id, shard),
    course_section_id: g(e.course_section_id, shard),
    user_id: g(e.user_id, shard),
    user_name: e.user?.name ?? '',
    type: e.type,
    workflow_state: e.enrollment_state,
    limit_privileges_to_course_section: e.limit_privileges_to_course_section ?? false,
    associated_user_id: globalId(e.associated_user_id ?? null, shard),
    created_at: e.created_at,
    updated_at: e.updated_at,
  });
}

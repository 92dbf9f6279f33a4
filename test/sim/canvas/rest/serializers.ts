// The REST JSON of each record, with the fields and types Canvas returns (integer ids, ISO times,
// nulls where Canvas has no value). Each shape follows the object documented on its API page.
import { sectionId, userUuid } from '../mutations.js';
import type {
  Assignment,
  CanvasState,
  Course,
  Enrollment,
  QuizSubmission,
  Submission,
  User,
} from '../state.js';

/** A Course (https://canvas.instructure.com/doc/api/courses.html#Course). */
export function courseJson(c: Course, baseUrl: string) {
  return {
    id: c.id,
    name: c.name,
    account_id: c.account_id,
    uuid: c.uuid,
    start_at: null,
    grading_standard_id: null,
    is_public: false,
    created_at: c.created_at,
    course_code: c.course_code,
    default_view: 'modules',
    root_account_id: 1,
    enrollment_term_id: 1,
    license: 'private',
    grade_passback_setting: null,
    end_at: null,
    public_syllabus: false,
    public_syllabus_to_auth: false,
    storage_quota_mb: 500,
    is_public_to_auth_users: false,
    homeroom_course: false,
    course_color: null,
    friendly_name: null,
    apply_assignment_group_weights: false,
    calendar: { ics: `${baseUrl}/feeds/calendars/course_${c.uuid}.ics` },
    time_zone: 'America/Denver',
    blueprint: false,
    template: false,
    sis_course_id: c.sis_course_id,
    integration_id: null,
    hide_final_grades: false,
    workflow_state: c.workflow_state,
    restrict_enrollments_to_course_dates: false,
  };
}

/** A User, as course user lists show it (https://canvas.instructure.com/doc/api/users.html#User). */
export function userJson(u: User, includes: string[] = []) {
  const json: Record<string, unknown> = {
    id: u.id,
    name: u.name,
    created_at: u.created_at,
    sortable_name: u.sortable_name,
    short_name: u.short_name,
    sis_user_id: u.sis_user_id,
    integration_id: null,
    sis_import_id: null,
    login_id: u.login_id,
  };
  if (includes.includes('email')) json.email = u.email;
  if (includes.includes('avatar_url')) json.avatar_url = u.avatar_url;
  return json;
}

/** GET /api/v1/users/:id: the User with its avatar, locale and e-mail. */
export function userDetailJson(u: User) {
  const [first, ...rest] = u.name.split(/\s+/);
  return {
    ...userJson(u),
    avatar_url: u.avatar_url,
    last_name: rest.join(' ') || '',
    first_name: first ?? '',
    email: u.email,
    locale: null,
    effective_locale: 'en',
    time_zone: u.time_zone ?? 'America/Denver',
  };
}

/** A Profile (https://canvas.instructure.com/doc/api/users.html#Profile). */
export function profileJson(u: User, baseUrl: string) {
  return {
    id: u.id,
    name: u.name,
    short_name: u.short_name,
    sortable_name: u.sortable_name,
    title: u.title ?? null,
    bio: u.bio ?? null,
    pronunciation: null,
    primary_email: u.email,
    login_id: u.login_id,
    sis_user_id: u.sis_user_id,
    lti_user_id: u.lti_id,
    avatar_url: u.avatar_url,
    calendar: { ics: `${baseUrl}/feeds/calendars/user_${userUuid(u)}.ics` },
    time_zone: u.time_zone ?? 'America/Denver',
    locale: null,
    k5_user: false,
    use_classic_font_in_k5: false,
  };
}

const ROLE: Record<Enrollment['type'], string> = {
  StudentEnrollment: 'StudentEnrollment',
  TeacherEnrollment: 'TeacherEnrollment',
  TaEnrollment: 'TaEnrollment',
  DesignerEnrollment: 'DesignerEnrollment',
  ObserverEnrollment: 'ObserverEnrollment',
};

/** An Enrollment (https://canvas.instructure.com/doc/api/enrollments.html#Enrollment). */
export function enrollmentJson(state: CanvasState, e: Enrollment, baseUrl: string) {
  const user = state.users.get(e.user_id)!;
  const course = state.courses.get(e.course_id)!;
  const json: Record<string, unknown> = {
    id: e.id,
    user_id: e.user_id,
    course_id: e.course_id,
    type: e.type,
    created_at: e.created_at,
    updated_at: e.updated_at,
    associated_user_id: e.associated_user_id ?? null,
    start_at: null,
    end_at: null,
    course_section_id: sectionId(e.course_id),
    root_account_id: state.accountId,
    limit_privileges_to_course_section: false,
    enrollment_state: e.enrollment_state,
    role: ROLE[e.type],
    role_id: Object.keys(ROLE).indexOf(e.type) + 3,
    last_activity_at: null,
    last_attended_at: null,
    total_activity_time: 0,
    sis_course_id: course.sis_course_id,
    sis_section_id: null,
    sis_user_id: user.sis_user_id,
    html_url: `${baseUrl}/courses/${e.course_id}/users/${e.user_id}`,
    user: userJson(user),
  };
  if (e.type === 'StudentEnrollment') {
    const scores = state
      .list(state.submissions, (s) => s.user_id === e.user_id && s.score !== null)
      .filter((s) => state.assignments.get(s.assignment_id)?.course_id === e.course_id);
    const possible = scores.reduce(
      (n, s) => n + state.assignments.get(s.assignment_id)!.points_possible,
      0,
    );
    const got = scores.reduce((n, s) => n + (s.score ?? 0), 0);
    const current = possible ? Math.round((got / possible) * 10000) / 100 : null;
    json.grades = {
      html_url: `${baseUrl}/courses/${e.course_id}/grades/${e.user_id}`,
      current_score: current,
      current_grade: null,
      final_score: current ?? 0,
      final_grade: null,
    };
  }
  return json;
}

/** An Assignment (https://canvas.instructure.com/doc/api/assignments.html#Assignment). */
export function assignmentJson(a: Assignment, baseUrl: string) {
  return {
    id: a.id,
    name: a.name,
    description: null,
    created_at: a.created_at,
    updated_at: a.updated_at,
    due_at: null,
    lock_at: null,
    unlock_at: null,
    has_overrides: false,
    course_id: a.course_id,
    html_url: `${baseUrl}/courses/${a.course_id}/assignments/${a.id}`,
    submissions_download_url: `${baseUrl}/courses/${a.course_id}/assignments/${a.id}/submissions?zip=1`,
    assignment_group_id: a.course_id + 2_000_000,
    due_date_required: false,
    allowed_extensions: [],
    max_name_length: 255,
    grading_type: a.grading_type,
    grading_standard_id: null,
    points_possible: a.points_possible,
    submission_types: a.quiz_id ? ['online_quiz'] : ['online_text_entry'],
    has_submitted_submissions: false,
    published: true,
    unpublishable: true,
    only_visible_to_overrides: false,
    locked_for_user: false,
    omit_from_final_grade: false,
    workflow_state: 'published',
    position: 1,
    peer_reviews: false,
    muted: false,
    post_manually: false,
    anonymous_grading: false,
    integration_id: null,
    lti_context_id: a.lti_context_id ?? null,
    ...(a.quiz_id ? { quiz_id: a.quiz_id, is_quiz_assignment: true } : {}),
  };
}

/** A Submission (https://canvas.instructure.com/doc/api/submissions.html#Submission). */
export function submissionJson(state: CanvasState, s: Submission, baseUrl: string) {
  const a = state.assignments.get(s.assignment_id)!;
  return {
    id: s.id,
    body: null,
    url: null,
    grade: s.grade,
    score: s.score,
    submitted_at: s.submitted_at,
    assignment_id: s.assignment_id,
    user_id: s.user_id,
    submission_type: s.submission_type,
    workflow_state: s.workflow_state,
    grade_matches_current_submission: true,
    graded_at: s.graded_at,
    grader_id: s.grader_id,
    attempt: s.attempt,
    cached_due_date: null,
    excused: false,
    late_policy_status: null,
    points_deducted: null,
    grading_period_id: null,
    extra_attempts: null,
    posted_at: s.graded_at,
    redo_request: false,
    late: s.late,
    missing: s.missing,
    seconds_late: 0,
    entered_grade: s.grade,
    entered_score: s.score,
    preview_url: `${baseUrl}/courses/${a.course_id}/assignments/${a.id}/submissions/${s.user_id}?preview=1`,
  };
}

/** A QuizSubmission (https://canvas.instructure.com/doc/api/quiz_submissions.html#QuizSubmission). */
export function quizSubmissionJson(state: CanvasState, q: QuizSubmission, baseUrl: string) {
  const quiz = state.quizzes.get(q.quiz_id)!;
  return {
    id: q.id,
    quiz_id: q.quiz_id,
    user_id: q.user_id,
    submission_id: q.submission_id,
    started_at: q.started_at,
    finished_at: q.finished_at,
    end_at: null,
    attempt: q.attempt,
    extra_attempts: null,
    extra_time: null,
    manually_unlocked: null,
    time_spent: q.finished_at
      ? Math.round((Date.parse(q.finished_at) - Date.parse(q.started_at)) / 1000)
      : null,
    score: q.score,
    score_before_regrade: null,
    kept_score: q.kept_score,
    fudge_points: null,
    has_seen_results: null,
    workflow_state: q.workflow_state,
    overdue_and_needs_submission: false,
    quiz_points_possible: quiz.points_possible,
    html_url: `${baseUrl}/courses/${quiz.course_id}/quizzes/${quiz.id}/submissions/${q.id}`,
    result_url: `${baseUrl}/courses/${quiz.course_id}/quizzes/${quiz.id}/history?quiz_submission_id=${q.id}`,
  };
}

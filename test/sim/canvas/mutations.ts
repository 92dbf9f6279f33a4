// Changes to the simulated Canvas, each announcing the Live Event Canvas emits for it. The bodies
// follow Canvas's Live Events documentation (doc/api/data_services/json/canvas/event-types/*.json
// in instructure/canvas-lms; https://developerdocs.instructure.com/services/canvas/data-services/live-events):
// ids in bodies are global-id strings, except course_completed, which Canvas sends with local ids.
import { createHash, randomUUID } from 'node:crypto';
import {
  globalId,
  type Assignment,
  type CanvasState,
  type Course,
  type DiscussionTopic,
  type Enrollment,
  type EnrollmentType,
  type QuizSubmission,
  type Submission,
  type User,
  type WikiPage,
} from './state.js';

/** Thrown for a mutation that Canvas would refuse (unknown record, bad grade). */
export class SimulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function need<T>(map: Map<number, T>, id: number, what: string): T {
  const found = map.get(id);
  if (!found) throw new SimulatorError(404, `${what} ${id} does not exist`);
  return found;
}

/** Canvas's 40-character opaque uuids (users, courses). */
function opaqueUuid(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, 'x').slice(0, 40);
}

export function userUuid(user: User): string {
  return user.uuid ?? opaqueUuid(`user:${user.id}`);
}

function enrollmentBody(state: CanvasState, e: Enrollment): Record<string, unknown> {
  const user = need(state.users, e.user_id, 'user');
  // Canvas::LiveEvents.get_enrollment_data: associated_user_id only for observers.
  const body: Record<string, unknown> = {
    course_id: globalId(e.course_id),
    course_section_id: globalId(sectionId(e.course_id)),
    created_at: e.created_at,
    enrollment_id: globalId(e.id),
    limit_privileges_to_course_section: false,
    type: e.type,
    updated_at: e.updated_at,
    user_id: globalId(e.user_id),
    user_name: user.name,
    workflow_state: e.enrollment_state,
  };
  if (e.type === 'ObserverEnrollment') {
    body.associated_user_id = e.associated_user_id ? globalId(e.associated_user_id) : null;
  }
  return body;
}

/** Each simulated course has one default section; its id is derived from the course's. */
export function sectionId(courseId: number): number {
  return courseId + 1_000_000;
}

export interface CourseInput {
  name: string;
  course_code?: string;
  sis_course_id?: string | null;
  workflow_state?: Course['workflow_state'];
  actorId?: number;
}

/** Creates a course (course_created). */
export function createCourse(state: CanvasState, input: CourseInput): Course {
  const id = state.id();
  const course: Course = {
    id,
    name: input.name,
    course_code: input.course_code ?? input.name,
    workflow_state: input.workflow_state ?? 'available',
    account_id: state.accountId,
    uuid: opaqueUuid(`course:${id}`),
    sis_course_id: input.sis_course_id ?? null,
    created_at: state.time(),
  };
  state.courses.set(id, course);
  state.announce({
    eventName: 'course_created',
    courseId: id,
    actorId: input.actorId,
    request: { method: 'POST', url: `/api/v1/accounts/${state.accountId}/courses` },
    body: {
      account_id: globalId(course.account_id),
      course_id: globalId(id),
      created_at: course.created_at,
      name: course.name,
      updated_at: course.created_at,
      uuid: course.uuid,
      workflow_state: course.workflow_state === 'unpublished' ? 'claimed' : course.workflow_state,
    },
  });
  return course;
}

export interface UserInput {
  name: string;
  email?: string;
  login_id?: string;
  sis_user_id?: string | null;
  short_name?: string;
  sortable_name?: string;
  actorId?: number;
}

function userBody(user: User): Record<string, unknown> {
  return {
    user_id: globalId(user.id),
    uuid: userUuid(user),
    name: user.name,
    short_name: user.short_name,
    workflow_state: 'registered',
    created_at: user.created_at,
    updated_at: user.updated_at ?? user.created_at,
    user_login: user.login_id,
    user_sis_id: user.sis_user_id,
  };
}

/** Creates a user (user_created). */
export function createUser(state: CanvasState, input: UserInput): User {
  const id = state.id();
  const parts = input.name.trim().split(/\s+/);
  const last = parts.length > 1 ? parts.pop()! : '';
  const email = input.email ?? `user${id}@example.edu`;
  const now = state.time();
  const user: User = {
    id,
    name: input.name,
    sortable_name: input.sortable_name ?? (last ? `${last}, ${parts.join(' ')}` : input.name),
    short_name: input.short_name ?? input.name,
    email,
    login_id: input.login_id ?? email,
    sis_user_id: input.sis_user_id ?? null,
    lti_id: randomUUID(),
    avatar_url: 'https://canvas.instructure.com/images/messages/avatar-50.png',
    created_at: now,
    uuid: opaqueUuid(`user:${id}`),
    updated_at: now,
    bio: null,
    time_zone: 'America/Denver',
  };
  state.users.set(id, user);
  state.announce({
    eventName: 'user_created',
    actorId: input.actorId,
    request: { method: 'POST', url: `/api/v1/accounts/${state.accountId}/users` },
    body: userBody(user),
  });
  return user;
}

export interface UserUpdate {
  name?: string;
  short_name?: string;
  sortable_name?: string;
  email?: string;
  bio?: string | null;
  /** The profile's title. */
  title?: string | null;
  /** users#update `user[avatar][url]`: an external avatar image. */
  avatar_url?: string;
  actorId?: number;
}

/** Updates a user's details (user_updated: Canvas emits it only for the fields in its body). */
export function updateUser(state: CanvasState, userId: number, update: UserUpdate): User {
  const user = need(state.users, userId, 'user');
  const { updated_at: _before, ...before } = userBody(user);
  if (update.name !== undefined) user.name = update.name;
  if (update.short_name !== undefined) user.short_name = update.short_name;
  if (update.sortable_name !== undefined) user.sortable_name = update.sortable_name;
  if (update.email !== undefined) user.email = update.email;
  if (update.bio !== undefined) user.bio = update.bio;
  if (update.title !== undefined) user.title = update.title;
  if (update.avatar_url !== undefined) user.avatar_url = update.avatar_url;
  const { updated_at: _after, ...after } = userBody(user);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    user.updated_at = state.time();
    state.announce({
      eventName: 'user_updated',
      actorId: update.actorId ?? userId,
      request: { method: 'PUT', url: `/api/v1/users/${userId}` },
      body: userBody(user),
    });
  }
  return user;
}

export interface EnrollInput {
  courseId: number;
  userId: number;
  type?: EnrollmentType;
  enrollment_state?: Enrollment['enrollment_state'];
  associated_user_id?: number | null;
  actorId?: number;
}

/**
 * Enrolls a user (enrollment_created); enrolling again in the same course with the same type
 * changes the existing enrollment (enrollment_updated, only when something in its body changed).
 */
export function enroll(state: CanvasState, input: EnrollInput): Enrollment {
  need(state.courses, input.courseId, 'course');
  need(state.users, input.userId, 'user');
  const type = input.type ?? 'StudentEnrollment';
  const existing = state
    .list(state.enrollments)
    .find((e) => e.course_id === input.courseId && e.user_id === input.userId && e.type === type);
  const request = { method: 'POST', url: `/api/v1/courses/${input.courseId}/enrollments` };
  if (existing) {
    const next = input.enrollment_state ?? existing.enrollment_state;
    if (next === existing.enrollment_state) return existing;
    existing.enrollment_state = next;
    existing.updated_at = state.time();
    state.announce({
      eventName: 'enrollment_updated',
      courseId: input.courseId,
      actorId: input.actorId,
      request,
      body: enrollmentBody(state, existing),
    });
    return existing;
  }
  const now = state.time();
  const enrollment: Enrollment = {
    id: state.id(),
    course_id: input.courseId,
    user_id: input.userId,
    type,
    enrollment_state: input.enrollment_state ?? 'active',
    associated_user_id: input.associated_user_id ?? null,
    created_at: now,
    updated_at: now,
  };
  state.enrollments.set(enrollment.id, enrollment);
  state.announce({
    eventName: 'enrollment_created',
    courseId: input.courseId,
    actorId: input.actorId,
    request,
    body: enrollmentBody(state, enrollment),
  });
  return enrollment;
}

export interface AssignmentInput {
  courseId: number;
  name: string;
  points_possible?: number;
  grading_type?: Assignment['grading_type'];
  /** Make it a classic quiz's assignment (creates the quiz too). */
  quiz?: boolean;
  actorId?: number;
}

/** Creates an assignment (assignment_created), and its classic quiz when asked. */
export function createAssignment(state: CanvasState, input: AssignmentInput): Assignment {
  const course = need(state.courses, input.courseId, 'course');
  const now = state.time();
  const assignment: Assignment = {
    id: state.id(),
    course_id: input.courseId,
    name: input.name,
    points_possible: input.points_possible ?? 10,
    grading_type: input.grading_type ?? 'points',
    quiz_id: null,
    lti_context_id: randomUUID(),
    created_at: now,
    updated_at: now,
  };
  state.assignments.set(assignment.id, assignment);
  if (input.quiz) {
    const quizId = state.id();
    state.quizzes.set(quizId, {
      id: quizId,
      course_id: input.courseId,
      title: input.name,
      assignment_id: assignment.id,
      points_possible: assignment.points_possible,
    });
    assignment.quiz_id = quizId;
  }
  state.announce({
    eventName: 'assignment_created',
    courseId: input.courseId,
    actorId: input.actorId,
    request: { method: 'POST', url: `/api/v1/courses/${input.courseId}/assignments` },
    body: {
      assignment_group_id: globalId(input.courseId + 2_000_000),
      assignment_id: globalId(assignment.id),
      context_id: globalId(input.courseId),
      context_type: 'Course',
      context_uuid: course.uuid,
      created_on_blueprint_sync: false,
      description: null,
      due_at: null,
      lock_at: null,
      lti_assignment_id: assignment.lti_context_id,
      lti_resource_link_id: null,
      domain: null,
      points_possible: assignment.points_possible,
      submission_types: input.quiz ? 'online_quiz' : 'online_text_entry',
      title: assignment.name,
      unlock_at: null,
      updated_at: assignment.updated_at,
      workflow_state: 'published',
    },
  });
  return assignment;
}

/** The submission of a user for an assignment, created unsubmitted when missing (as Canvas does). */
export function submissionFor(
  state: CanvasState,
  assignmentId: number,
  userId: number,
): Submission {
  need(state.assignments, assignmentId, 'assignment');
  need(state.users, userId, 'user');
  const found = state
    .list(state.submissions)
    .find((s) => s.assignment_id === assignmentId && s.user_id === userId);
  if (found) return found;
  const submission: Submission = {
    id: state.id(),
    assignment_id: assignmentId,
    user_id: userId,
    score: null,
    grade: null,
    grader_id: null,
    workflow_state: 'unsubmitted',
    submission_type: null,
    attempt: null,
    submitted_at: null,
    graded_at: null,
    updated_at: state.time(),
    late: false,
    missing: false,
  };
  state.submissions.set(submission.id, submission);
  return submission;
}

export interface SubmitInput {
  assignmentId: number;
  userId: number;
  submission_type?: string;
  body?: string | null;
  url?: string | null;
}

/** A student submits (or re-submits) an assignment (submission_created). */
export function submit(state: CanvasState, input: SubmitInput): Submission {
  const assignment = need(state.assignments, input.assignmentId, 'assignment');
  const s = submissionFor(state, input.assignmentId, input.userId);
  const user = need(state.users, input.userId, 'user');
  const now = state.time();
  s.workflow_state = 'submitted';
  s.submission_type = input.submission_type ?? 'online_text_entry';
  s.attempt = (s.attempt ?? 0) + 1;
  s.submitted_at = now;
  s.updated_at = now;
  state.announce({
    eventName: 'submission_created',
    courseId: assignment.course_id,
    actorId: input.userId,
    request: {
      method: 'POST',
      url: `/api/v1/courses/${assignment.course_id}/assignments/${assignment.id}/submissions`,
    },
    body: {
      assignment_id: globalId(assignment.id),
      attempt: s.attempt,
      body: input.body ?? null,
      grade: s.grade,
      graded_at: s.graded_at,
      group_id: null,
      late: s.late,
      lti_assignment_id: assignment.lti_context_id ?? null,
      lti_user_id: user.lti_id,
      missing: s.missing,
      score: s.score,
      submission_id: globalId(s.id),
      submission_type: s.submission_type,
      submitted_at: s.submitted_at,
      updated_at: s.updated_at,
      url: input.url ?? null,
      user_id: globalId(input.userId),
      workflow_state: s.workflow_state,
    },
  });
  return s;
}

/** Canvas's default grading scheme (lower bounds, percent), for letter_grade assignments. */
const DEFAULT_SCHEME: Array<[string, number]> = [
  ['A', 94],
  ['A-', 90],
  ['B+', 87],
  ['B', 84],
  ['B-', 80],
  ['C+', 77],
  ['C', 74],
  ['C-', 70],
  ['D+', 67],
  ['D', 64],
  ['D-', 61],
  ['F', 0],
];

function formatScore(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/**
 * Turns a `posted_grade` into score and grade as the Submissions API documents it
 * (https://canvas.instructure.com/doc/api/submissions.html#method.submissions_api.update):
 * points, a percentage ("80%"), a letter grade, or pass_fail's complete/incomplete.
 */
export function parsePostedGrade(
  assignment: Assignment,
  posted: string,
): { score: number; grade: string } {
  const pp = assignment.points_possible;
  const text = posted.trim();
  const scheme = DEFAULT_SCHEME.find(([letter]) => letter.toLowerCase() === text.toLowerCase());
  let score: number;
  if (/^-?\d+(\.\d+)?%$/.test(text)) score = (parseFloat(text) / 100) * pp;
  else if (/^-?\d+(\.\d+)?$/.test(text)) score = parseFloat(text);
  else if (['complete', 'pass'].includes(text.toLowerCase())) score = pp;
  else if (['incomplete', 'fail'].includes(text.toLowerCase())) score = 0;
  else if (scheme) score = (scheme[1] / 100) * pp;
  else throw new SimulatorError(400, `invalid posted_grade: ${posted}`);
  switch (assignment.grading_type) {
    case 'percent':
      return { score, grade: `${formatScore(pp ? (score / pp) * 100 : 0)}%` };
    case 'pass_fail':
      return { score, grade: score > 0 ? 'complete' : 'incomplete' };
    case 'letter_grade': {
      const pct = pp ? (score / pp) * 100 : 0;
      return { score, grade: DEFAULT_SCHEME.find(([, min]) => pct >= min)![0] };
    }
    default:
      return { score, grade: formatScore(score) };
  }
}

export interface GradeInput {
  assignmentId: number;
  userId: number;
  posted_grade: string;
  /** The grader (metadata.user_id, body.grader_id); null for automatic grading. */
  graderId?: number | null;
  /** The request that made the change; defaults to the Submissions API's PUT. */
  request?: { method: string; url: string };
}

/** Grades a submission (grade_change, with the old grade and score). */
export function grade(state: CanvasState, input: GradeInput): Submission {
  const assignment = need(state.assignments, input.assignmentId, 'assignment');
  const user = need(state.users, input.userId, 'user');
  const s = submissionFor(state, input.assignmentId, input.userId);
  const { score, grade: newGrade } = parsePostedGrade(assignment, input.posted_grade);
  const old = { grade: s.grade, score: s.score };
  const now = state.time();
  s.score = score;
  s.grade = newGrade;
  s.grader_id = input.graderId ?? null;
  s.graded_at = now;
  s.updated_at = now;
  s.workflow_state = 'graded';
  state.announce({
    eventName: 'grade_change',
    courseId: assignment.course_id,
    actorId: input.graderId ?? undefined,
    request: input.request ?? {
      method: 'PUT',
      url: `/api/v1/courses/${assignment.course_id}/assignments/${assignment.id}/submissions/${user.id}`,
    },
    body: {
      assignment_id: globalId(assignment.id),
      grade: s.grade,
      grader_id: input.graderId ? globalId(input.graderId) : null,
      grading_complete: true,
      muted: false,
      old_grade: old.grade,
      old_points_possible: assignment.points_possible,
      old_score: old.score,
      points_possible: assignment.points_possible,
      score: s.score,
      student_id: globalId(user.id),
      student_sis_id: user.sis_user_id,
      submission_id: globalId(s.id),
      user_id: globalId(user.id),
    },
  });
  return s;
}

export interface QuizSubmitInput {
  quizId: number;
  userId: number;
  score: number;
}

/**
 * A student turns in a classic quiz: quiz_submitted, then the automatic scoring's grade_change
 * (grader_id null; Canvas documents it under grade_change).
 */
export function submitQuiz(state: CanvasState, input: QuizSubmitInput): QuizSubmission {
  const quiz = need(state.quizzes, input.quizId, 'quiz');
  need(state.users, input.userId, 'user');
  const submission = submissionFor(state, quiz.assignment_id, input.userId);
  const previous = state
    .list(state.quizSubmissions)
    .find((q) => q.quiz_id === quiz.id && q.user_id === input.userId);
  const now = state.time();
  const qs: QuizSubmission = previous ?? {
    id: state.id(),
    quiz_id: quiz.id,
    user_id: input.userId,
    submission_id: submission.id,
    attempt: 0,
    score: null,
    kept_score: null,
    workflow_state: 'untaken',
    started_at: now,
    finished_at: null,
  };
  qs.attempt += 1;
  qs.score = input.score;
  qs.kept_score = Math.max(input.score, previous?.kept_score ?? input.score);
  qs.workflow_state = 'complete';
  qs.finished_at = now;
  state.quizSubmissions.set(qs.id, qs);
  submission.workflow_state = 'submitted';
  submission.submission_type = 'online_quiz';
  submission.attempt = qs.attempt;
  submission.submitted_at = now;
  const url = `/courses/${quiz.course_id}/quizzes/${quiz.id}/submissions?user_id=${input.userId}`;
  state.announce({
    eventName: 'quiz_submitted',
    courseId: quiz.course_id,
    actorId: input.userId,
    request: { method: 'POST', url },
    body: { quiz_id: globalId(quiz.id), submission_id: globalId(qs.id) },
  });
  grade(state, {
    assignmentId: quiz.assignment_id,
    userId: input.userId,
    posted_grade: String(qs.kept_score),
    graderId: null,
    request: { method: 'POST', url },
  });
  return qs;
}

export interface CompleteInput {
  courseId: number;
  userId: number;
  requirement_count?: number;
}

/** A student meets every module requirement of a course (course_completed). */
export function completeCourse(state: CanvasState, input: CompleteInput): void {
  const course = need(state.courses, input.courseId, 'course');
  const user = need(state.users, input.userId, 'user');
  const count = input.requirement_count ?? 1;
  state.announce({
    eventName: 'course_completed',
    courseId: course.id,
    actorId: user.id,
    request: { method: 'GET', url: `/api/v1/courses/${course.id}/modules?include%5B%5D=items` },
    // course_completed carries local ids as strings (see its documented example).
    body: {
      course: {
        account_id: String(course.account_id),
        id: String(course.id),
        name: course.name,
        sis_source_id: course.sis_course_id,
      },
      progress: {
        completed_at: state.time(),
        next_requirement_url: null,
        requirement_completed_count: count,
        requirement_count: count,
      },
      user: { email: user.email, id: String(user.id), name: user.name },
    },
  });
}

export interface WikiPageInput {
  courseId: number;
  title: string;
  body: string;
  /** The page to change; a new page is created when absent. */
  pageId?: number;
  /** A new page's url (Canvas: the locator a PUT named); derived from the title when absent. */
  url?: string;
  /** Draft or published; unchanged when absent (a new page: published). */
  published?: boolean;
  actorId?: number;
}

/** Canvas's `String#to_url` for page urls: lower case, runs of other characters as one dash. */
export function pageSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A url no other page of the course has (WikiPage#ensure_unique_url appends -2, -3, ...). */
function uniquePageUrl(state: CanvasState, courseId: number, wanted: string): string {
  const taken = new Set(
    state.list(state.wikiPages, (p) => p.course_id === courseId).map((p) => p.url),
  );
  const base = wanted || 'page';
  let url = base;
  for (let n = 2; taken.has(url); n++) url = `${base}-${n}`;
  return url;
}

/** Creates (wiki_page_created) or changes (wiki_page_updated) a course page. */
export function updateWikiPage(state: CanvasState, input: WikiPageInput): WikiPage {
  need(state.courses, input.courseId, 'course');
  const now = state.time();
  const existing = input.pageId ? need(state.wikiPages, input.pageId, 'page') : undefined;
  const url = input.title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  if (!existing) {
    const page: WikiPage = {
      id: state.id(),
      course_id: input.courseId,
      url: input.url === undefined ? url : uniquePageUrl(state, input.courseId, input.url),
      title: input.title,
      body: input.body,
      created_at: now,
      updated_at: now,
      published: input.published ?? true,
    };
    state.wikiPages.set(page.id, page);
    state.announce({
      eventName: 'wiki_page_created',
      courseId: input.courseId,
      actorId: input.actorId,
      request: { method: 'POST', url: `/api/v1/courses/${input.courseId}/pages` },
      body: { body: page.body, title: page.title, wiki_page_id: globalId(page.id) },
    });
    return page;
  }
  const old = { title: existing.title, body: existing.body };
  existing.title = input.title;
  existing.body = input.body;
  if (input.published !== undefined) existing.published = input.published;
  existing.updated_at = now;
  state.announce({
    eventName: 'wiki_page_updated',
    courseId: input.courseId,
    actorId: input.actorId,
    request: { method: 'PUT', url: `/api/v1/courses/${input.courseId}/pages/${existing.url}` },
    body: {
      body: existing.body,
      old_body: old.body,
      old_title: old.title,
      title: existing.title,
      wiki_page_id: globalId(existing.id),
    },
  });
  return existing;
}

export interface DiscussionTopicInput {
  courseId: number;
  title: string;
  message: string;
  isAnnouncement?: boolean;
  actorId?: number;
}

/** discussion_topic_created / _updated bodies (Canvas::LiveEvents.get_discussion_topic_data). */
function discussionTopicBody(topic: DiscussionTopic): Record<string, unknown> {
  return {
    discussion_topic_id: globalId(topic.id),
    is_announcement: topic.is_announcement,
    title: topic.title,
    body: topic.message,
    assignment_id: null,
    context_id: globalId(topic.course_id),
    context_type: 'Course',
    workflow_state: topic.workflow_state,
    lock_at: null,
    updated_at: topic.updated_at,
  };
}

/** Creates a discussion topic or, with `isAnnouncement`, an announcement (discussion_topic_created). */
export function createDiscussionTopic(
  state: CanvasState,
  input: DiscussionTopicInput,
): DiscussionTopic {
  need(state.courses, input.courseId, 'course');
  const now = state.time();
  const topic: DiscussionTopic = {
    id: state.id(),
    course_id: input.courseId,
    title: input.title,
    message: input.message,
    is_announcement: input.isAnnouncement ?? false,
    user_id: input.actorId ?? null,
    posted_at: now,
    created_at: now,
    updated_at: now,
    workflow_state: 'active',
  };
  state.discussionTopics.set(topic.id, topic);
  state.announce({
    eventName: 'discussion_topic_created',
    courseId: input.courseId,
    actorId: input.actorId,
    request: { method: 'POST', url: `/api/v1/courses/${input.courseId}/discussion_topics` },
    body: discussionTopicBody(topic),
  });
  return topic;
}

export interface DiscussionTopicUpdate {
  title?: string;
  message?: string;
  actorId?: number;
}

/** Changes a discussion topic's title or message (discussion_topic_updated). */
export function updateDiscussionTopic(
  state: CanvasState,
  topicId: number,
  update: DiscussionTopicUpdate,
): DiscussionTopic {
  const topic = need(state.discussionTopics, topicId, 'discussion topic');
  if (update.title !== undefined) topic.title = update.title;
  if (update.message !== undefined) topic.message = update.message;
  topic.updated_at = state.time();
  state.announce({
    eventName: 'discussion_topic_updated',
    courseId: topic.course_id,
    actorId: update.actorId,
    request: {
      method: 'PUT',
      url: `/api/v1/courses/${topic.course_id}/discussion_topics/${topic.id}`,
    },
    body: discussionTopicBody(topic),
  });
  return topic;
}

/** Issues a REST access token for a user (as a developer key's OAuth2 flow would). */
export function issueAccessToken(state: CanvasState, userId: number): string {
  need(state.users, userId, 'user');
  // Canvas tokens look like "<developer key id>~<64 chars>".
  const token = `1~${createHash('sha256').update(randomUUID()).digest('base64url')}`;
  state.accessTokens.set(token, { token, user_id: userId, created_at: state.time() });
  return token;
}

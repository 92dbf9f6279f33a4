// The Canvas REST API the tool reads and writes, under /api/v1, behind Bearer tokens. Each route
// cites the Canvas API page it follows; lists are paginated as Canvas paginates them.
import { Router, type Request, type Response } from 'express';
import { grade, SimulatorError, submissionFor } from '../mutations.js';
import type { CanvasState, Course, Enrollment, Submission } from '../state.js';
import { currentUser, requireToken } from './auth.js';
import { addContentRoutes } from './content.js';
import { canvasError, notFound } from './errors.js';
import { paginate, paginateByBookmark } from './pagination.js';
import {
  assignmentJson,
  courseJson,
  enrollmentJson,
  profileJson,
  quizSubmissionJson,
  submissionJson,
  userDetailJson,
  userJson,
} from './serializers.js';

/** A query parameter given as `name[]=a&name[]=b` (or once as `name=a`), as strings. */
function list(req: Request, name: string): string[] {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function str(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

// Canvas's Api::ISO8601_REGEX (lib/api.rb).
const ISO8601 =
  /^-?\d{4}-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12]\d)T(2[0-3]|[01]\d):[0-5]\d:(60|[0-5]\d)(\.\d+)?(Z|[+-](2[0-3]|[01]\d):[0-5]\d)?$/;

/** Numeric ids, or Canvas's `sis_course_id:` / `self` forms (https://canvas.instructure.com/doc/api/file.object_ids.html). */
function findCourse(state: CanvasState, raw: string): Course | undefined {
  if (raw.startsWith('sis_course_id:')) {
    const sis = raw.slice('sis_course_id:'.length);
    return state.list(state.courses).find((c) => c.sis_course_id === sis);
  }
  return /^\d+$/.test(raw) ? state.courses.get(Number(raw)) : undefined;
}

function userIdParam(state: CanvasState, res: Response, raw: string): number | undefined {
  if (raw === 'self') return currentUser(res).id;
  if (raw.startsWith('sis_user_id:')) {
    const sis = raw.slice('sis_user_id:'.length);
    return state.list(state.users).find((u) => u.sis_user_id === sis)?.id;
  }
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

const ENROLLMENT_TYPES: Record<string, Enrollment['type']> = {
  student: 'StudentEnrollment',
  teacher: 'TeacherEnrollment',
  ta: 'TaEnrollment',
  observer: 'ObserverEnrollment',
  designer: 'DesignerEnrollment',
};

export function createRestRouter(state: CanvasState, baseUrl: () => string): Router {
  const r = Router();
  r.use('/api/v1', requireToken(state));

  const course = (req: Request, res: Response): Course | undefined => {
    const found = findCourse(state, String(req.params.course_id));
    if (!found) notFound(res);
    return found;
  };

  // https://canvas.instructure.com/doc/api/courses.html#method.courses.show
  r.get('/api/v1/courses/:course_id', (req, res) => {
    const c = course(req, res);
    if (c) res.json(courseJson(c, baseUrl()));
  });

  // https://canvas.instructure.com/doc/api/enrollments.html#method.enrollments_api.index
  // type[], role[], state[] (default: active and invited), user_id.
  r.get('/api/v1/courses/:course_id/enrollments', (req, res) => {
    const c = course(req, res);
    if (!c) return;
    const types = [...list(req, 'type'), ...list(req, 'role')];
    const states = list(req, 'state');
    const wanted = states.length ? states : ['active', 'invited'];
    const userId = str(req, 'user_id');
    const rows = state.list(
      state.enrollments,
      (e) =>
        e.course_id === c.id &&
        wanted.includes(e.enrollment_state) &&
        (!types.length || types.includes(e.type)) &&
        (!userId || String(e.user_id) === userId),
    );
    res.json(paginate(req, res, baseUrl(), rows).map((e) => enrollmentJson(state, e, baseUrl())));
  });

  // https://canvas.instructure.com/doc/api/courses.html#method.courses.users
  // enrollment_type[], enrollment_state[] (default: active and invited), user_ids[], include[];
  // ordered by sortable name.
  r.get('/api/v1/courses/:course_id/users', (req, res) => {
    const c = course(req, res);
    if (!c) return;
    const types = list(req, 'enrollment_type').map((t) => ENROLLMENT_TYPES[t] ?? t);
    const states = list(req, 'enrollment_state');
    const wanted = states.length ? states : ['active', 'invited'];
    const ids = new Set(list(req, 'user_ids'));
    const includes = list(req, 'include');
    const enrollments = state.list(
      state.enrollments,
      (e) =>
        e.course_id === c.id &&
        wanted.includes(e.enrollment_state) &&
        (!types.length || types.includes(e.type)) &&
        (!ids.size || ids.has(String(e.user_id))),
    );
    const users = [...new Set(enrollments.map((e) => e.user_id))]
      .map((id) => state.users.get(id)!)
      .sort((a, b) => a.sortable_name.localeCompare(b.sortable_name) || a.id - b.id);
    res.json(
      paginate(req, res, baseUrl(), users).map((u) => {
        const json = userJson(u, includes);
        if (includes.includes('enrollments')) {
          json.enrollments = enrollments
            .filter((e) => e.user_id === u.id)
            .map((e) => enrollmentJson(state, e, baseUrl()));
        }
        return json;
      }),
    );
  });

  // https://canvas.instructure.com/doc/api/users.html#method.users.api_show
  r.get('/api/v1/users/:user_id', (req, res) => {
    const id = userIdParam(state, res, String(req.params.user_id));
    const u = id === undefined ? undefined : state.users.get(id);
    if (!u) return notFound(res);
    res.json(userDetailJson(u));
  });

  // https://canvas.instructure.com/doc/api/users.html#method.profile.settings
  r.get('/api/v1/users/:user_id/profile', (req, res) => {
    const id = userIdParam(state, res, String(req.params.user_id));
    const u = id === undefined ? undefined : state.users.get(id);
    if (!u) return notFound(res);
    res.json(profileJson(u, baseUrl()));
  });

  // https://canvas.instructure.com/doc/api/assignments.html#method.assignments_api.index
  r.get('/api/v1/courses/:course_id/assignments', (req, res) => {
    const c = course(req, res);
    if (!c) return;
    const rows = state.list(state.assignments, (a) => a.course_id === c.id);
    res.json(paginate(req, res, baseUrl(), rows).map((a) => assignmentJson(a, baseUrl())));
  });

  /** The record of `map` named by the path parameter `param`, in the path's course; else 404. */
  const inCourse =
    <T extends { course_id: number }>(map: Map<number, T>, param: string) =>
    (req: Request, res: Response): T | undefined => {
      const c = course(req, res);
      if (!c) return undefined;
      const found = map.get(Number(req.params[param]));
      if (!found || found.course_id !== c.id) return void notFound(res);
      return found;
    };
  const assignment = inCourse(state.assignments, 'assignment_id');
  const quiz = inCourse(state.quizzes, 'quiz_id');

  // https://canvas.instructure.com/doc/api/assignments.html#method.assignments_api.show
  r.get('/api/v1/courses/:course_id/assignments/:assignment_id', (req, res) => {
    const a = assignment(req, res);
    if (a) res.json(assignmentJson(a, baseUrl()));
  });

  // https://canvas.instructure.com/doc/api/submissions.html#method.submissions_api.index
  // One submission per student of the course (Canvas creates the unsubmitted ones).
  r.get('/api/v1/courses/:course_id/assignments/:assignment_id/submissions', (req, res) => {
    const a = assignment(req, res);
    if (!a) return;
    const students = state.list(
      state.enrollments,
      (e) =>
        e.course_id === a.course_id &&
        e.type === 'StudentEnrollment' &&
        e.enrollment_state !== 'deleted',
    );
    const rows = [...new Set(students.map((e) => e.user_id))]
      .map((uid) => submissionFor(state, a.id, uid))
      .sort((x, y) => x.id - y.id);
    res.json(paginate(req, res, baseUrl(), rows).map((s) => submissionJson(state, s, baseUrl())));
  });

  // https://canvas.instructure.com/doc/api/submissions.html#method.submissions_api.show
  r.get(
    '/api/v1/courses/:course_id/assignments/:assignment_id/submissions/:user_id',
    (req, res) => {
      const a = assignment(req, res);
      if (!a) return;
      const uid = userIdParam(state, res, String(req.params.user_id));
      if (uid === undefined || !state.users.has(uid)) return notFound(res);
      res.json(submissionJson(state, submissionFor(state, a.id, uid), baseUrl()));
    },
  );

  // https://canvas.instructure.com/doc/api/submissions.html#method.submissions_api.update
  // submission[posted_grade]: points, "80%", a letter grade, complete/incomplete (grade_change).
  r.put(
    '/api/v1/courses/:course_id/assignments/:assignment_id/submissions/:user_id',
    (req, res) => {
      const a = assignment(req, res);
      if (!a) return;
      const uid = userIdParam(state, res, String(req.params.user_id));
      if (uid === undefined || !state.users.has(uid)) return notFound(res);
      const body = (req.body ?? {}) as { submission?: { posted_grade?: unknown } };
      const posted = body.submission?.posted_grade;
      if (posted === undefined || posted === null) {
        return res.json(submissionJson(state, submissionFor(state, a.id, uid), baseUrl()));
      }
      try {
        const s = grade(state, {
          assignmentId: a.id,
          userId: uid,
          posted_grade: String(posted),
          graderId: currentUser(res).id,
          request: { method: 'PUT', url: req.originalUrl },
        });
        res.json(submissionJson(state, s, baseUrl()));
      } catch (err) {
        if (err instanceof SimulatorError) return canvasError(res, err.status, err.message);
        throw err;
      }
    },
  );

  // https://canvas.instructure.com/doc/api/submissions.html#method.submissions_api.for_students
  // student_ids[] (default: the caller; "all"), assignment_ids[], submitted_since, graded_since,
  // workflow_state, order (id|graded_at), order_direction. Ascending orders page by bookmark.
  r.get('/api/v1/courses/:course_id/students/submissions', (req, res) => {
    const c = course(req, res);
    if (!c) return;
    const studentIds = list(req, 'student_ids');
    const all = studentIds.includes('all');
    const ids = new Set(studentIds.length ? studentIds : [String(currentUser(res).id)]);
    const assignmentIds = new Set(list(req, 'assignment_ids'));
    const since: Record<string, number> = {};
    for (const name of ['submitted_since', 'graded_since'] as const) {
      const v = str(req, name);
      if (v === undefined) continue;
      if (!ISO8601.test(v)) {
        return res.status(400).json({ errors: { [name]: `Invalid datetime for ${name}` } });
      }
      since[name] = Date.parse(v);
    }
    const state_ = str(req, 'workflow_state');
    const after = (t: string | null, min: number | undefined) =>
      min === undefined || (t !== null && Date.parse(t) > min);
    let rows = state.list(state.submissions, (s) => {
      const a = state.assignments.get(s.assignment_id);
      return (
        a?.course_id === c.id &&
        (all || ids.has(String(s.user_id))) &&
        (!assignmentIds.size || assignmentIds.has(String(s.assignment_id))) &&
        (!state_ || s.workflow_state === state_) &&
        after(s.submitted_at, since.submitted_since) &&
        after(s.graded_at, since.graded_since)
      );
    });
    const byGradedAt = str(req, 'order') === 'graded_at';
    const key = (s: Submission): unknown[] => (byGradedAt ? [s.graded_at, s.id] : [s.id]);
    if (byGradedAt) {
      rows = rows.sort((x, y) => {
        if (x.graded_at === y.graded_at) return x.id - y.id;
        if (x.graded_at === null) return 1;
        if (y.graded_at === null) return -1;
        return x.graded_at < y.graded_at ? -1 : 1;
      });
    }
    const json = (s: Submission) => submissionJson(state, s, baseUrl());
    if (str(req, 'order_direction') === 'descending') {
      return res.json(paginate(req, res, baseUrl(), rows.reverse()).map(json));
    }
    res.json(paginateByBookmark(req, res, baseUrl(), rows, key).map(json));
  });

  // https://canvas.instructure.com/doc/api/quiz_submissions.html#method.quizzes/quiz_submissions_api.index
  r.get('/api/v1/courses/:course_id/quizzes/:quiz_id/submissions', (req, res) => {
    const q = quiz(req, res);
    if (!q) return;
    const rows = state.list(state.quizSubmissions, (s) => s.quiz_id === q.id);
    const page = paginate(req, res, baseUrl(), rows);
    res.json({ quiz_submissions: page.map((s) => quizSubmissionJson(state, s, baseUrl())) });
  });

  // https://canvas.instructure.com/doc/api/quiz_submissions.html#method.quizzes/quiz_submissions_api.show
  r.get('/api/v1/courses/:course_id/quizzes/:quiz_id/submissions/:id', (req, res) => {
    const q = quiz(req, res);
    if (!q) return;
    const s = state.quizSubmissions.get(Number(req.params.id));
    if (!s || s.quiz_id !== q.id) return notFound(res);
    res.json({ quiz_submissions: [quizSubmissionJson(state, s, baseUrl())] });
  });

  // Pages, discussion topics and announcements, user updates (rest/content.ts).
  addContentRoutes(r, state, baseUrl, course, (res, raw) => userIdParam(state, res, raw));

  r.use('/api/v1', (_req, res) => notFound(res));
  return r;
}

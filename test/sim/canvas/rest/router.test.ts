import assert from 'node:assert/strict';
import { startCanvasSimulator, type CanvasSimulator } from '../server.js';
import * as m from '../mutations.js';
import type { CanvasChange } from '../state.js';

describe('Canvas simulator REST API', () => {
  let sim: CanvasSimulator;
  let token: string;
  let teacherId: number;
  let studentId: number;
  let courseId: number;
  let assignmentId: number;
  let quizId: number;

  before(async () => {
    sim = await startCanvasSimulator({ throttle: { requestCost: 0 } });
    const { state } = sim;
    teacherId = m.createUser(state, { name: 'Tess Teacher', sis_user_id: 'T-1' }).id;
    studentId = m.createUser(state, { name: 'Sam Student', sis_user_id: 'S-1' }).id;
    token = m.issueAccessToken(state, teacherId);
    courseId = m.createCourse(state, { name: 'Biology', sis_course_id: 'BIO-1' }).id;
    m.enroll(state, { courseId, userId: teacherId, type: 'TeacherEnrollment' });
    m.enroll(state, { courseId, userId: studentId });
    assignmentId = m.createAssignment(state, { courseId, name: 'Lab', points_possible: 20 }).id;
    quizId = m.createAssignment(state, { courseId, name: 'Quiz 1', quiz: true }).quiz_id!;
    m.submitQuiz(state, { quizId, userId: studentId, score: 8 });
  });
  after(() => sim.close());

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sim.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });

  describe('when the token is missing or unknown', () => {
    it('answers 401 "user authorization required" without a token', async () => {
      const res = await fetch(`${sim.url}/api/v1/courses/${courseId}`);
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), {
        status: 'unauthenticated',
        errors: [{ message: 'user authorization required' }],
      });
    });

    it('answers 401 "Invalid access token." with WWW-Authenticate for an unknown token', async () => {
      const res = await fetch(`${sim.url}/api/v1/courses/${courseId}`, {
        headers: { authorization: 'Bearer 1~forged' },
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="canvas-lms"');
      assert.deepEqual(await res.json(), { errors: [{ message: 'Invalid access token.' }] });
    });
  });

  it('shows a course with integer ids, also by sis_course_id', async () => {
    const course = (await (await api(`/api/v1/courses/${courseId}`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(course.id, courseId);
    assert.equal(course.account_id, 1);
    assert.equal(course.sis_course_id, 'BIO-1');
    assert.equal(course.workflow_state, 'available');
    const bySis = (await (await api('/api/v1/courses/sis_course_id:BIO-1')).json()) as {
      id: number;
    };
    assert.equal(bySis.id, courseId);
    const missing = await api('/api/v1/courses/999999');
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), {
      errors: [{ message: 'The specified resource does not exist.' }],
    });
  });

  it("lists enrollments with their user and a student's grades", async () => {
    const rows = (await (await api(`/api/v1/courses/${courseId}/enrollments`)).json()) as Array<
      Record<string, unknown> & { user: { id: number }; grades?: unknown }
    >;
    assert.deepEqual(
      rows.map((e) => [e.type, e.user_id, e.enrollment_state]),
      [
        ['TeacherEnrollment', teacherId, 'active'],
        ['StudentEnrollment', studentId, 'active'],
      ],
    );
    assert.equal(rows[1]!.user.id, studentId);
    assert.ok(rows[1]!.grades);
    assert.equal(rows[0]!.grades, undefined);
  });

  it('shows a user, self, and a profile with the LTI user id', async () => {
    const user = (await (await api(`/api/v1/users/${studentId}`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(user.id, studentId);
    assert.equal(user.sis_user_id, 'S-1');
    const self = (await (await api('/api/v1/users/self')).json()) as { id: number };
    assert.equal(self.id, teacherId);
    const profile = (await (await api(`/api/v1/users/${studentId}/profile`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(profile.lti_user_id, sim.state.users.get(studentId)!.lti_id);
    assert.equal(profile.primary_email, sim.state.users.get(studentId)!.email);
  });

  it('lists assignments, the quiz one naming its quiz', async () => {
    const rows = (await (await api(`/api/v1/courses/${courseId}/assignments`)).json()) as Array<{
      id: number;
      quiz_id?: number;
      points_possible: number;
    }>;
    assert.deepEqual(
      rows.map((a) => [a.id, a.quiz_id, a.points_possible]),
      [
        [assignmentId, undefined, 20],
        [rows[1]!.id, quizId, 10],
      ],
    );
  });

  it('grades through PUT submissions/:user_id with posted_grade and announces grade_change', async () => {
    const changes: CanvasChange[] = [];
    const listen = (c: CanvasChange) => changes.push(c);
    sim.state.changes.on('change', listen);
    try {
      const res = await api(
        `/api/v1/courses/${courseId}/assignments/${assignmentId}/submissions/${studentId}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'submission[posted_grade]=80%25',
        },
      );
      assert.equal(res.status, 200);
      const s = (await res.json()) as Record<string, unknown>;
      assert.equal(s.score, 16);
      assert.equal(s.grade, '16');
      assert.equal(s.grader_id, teacherId);
      assert.equal(s.workflow_state, 'graded');
      assert.deepEqual(
        changes.map((c) => [c.eventName, c.actorId, c.body.score, c.body.old_score]),
        [['grade_change', teacherId, 16, null]],
      );
      const again = await api(
        `/api/v1/courses/${courseId}/assignments/${assignmentId}/submissions/${studentId}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ submission: { posted_grade: '18' } }),
        },
      );
      assert.equal(((await again.json()) as { score: number }).score, 18);
      assert.deepEqual(changes[1]!.body.old_score, 16);
    } finally {
      sim.state.changes.off('change', listen);
    }
  });

  it("lists an assignment's submissions, one per student", async () => {
    const rows = (await (
      await api(`/api/v1/courses/${courseId}/assignments/${assignmentId}/submissions`)
    ).json()) as Array<{ user_id: number; assignment_id: number }>;
    assert.deepEqual(
      rows.map((s) => [s.user_id, s.assignment_id]),
      [[studentId, assignmentId]],
    );
  });

  it('wraps quiz submissions in {"quiz_submissions": [...]}, in the list and for one', async () => {
    const listRes = await api(`/api/v1/courses/${courseId}/quizzes/${quizId}/submissions`);
    const list = (await listRes.json()) as { quiz_submissions: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(list), ['quiz_submissions']);
    assert.equal(list.quiz_submissions.length, 1);
    const qs = list.quiz_submissions[0]!;
    assert.equal(qs.user_id, studentId);
    assert.equal(qs.score, 8);
    assert.equal(qs.workflow_state, 'complete');
    assert.ok(listRes.headers.get('link'));
    const one = (await (
      await api(`/api/v1/courses/${courseId}/quizzes/${quizId}/submissions/${qs.id as number}`)
    ).json()) as { quiz_submissions: Array<{ id: number }> };
    assert.deepEqual(
      one.quiz_submissions.map((q) => q.id),
      [qs.id],
    );
  });
});

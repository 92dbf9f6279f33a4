import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startCanvasSimulator, type CanvasSimulator } from '../server.js';
import * as m from '../mutations.js';
import { globalId } from '../state.js';
import { LiveEventsReceiver } from './receiver.js';

const REFERENCE = new URL(
  '../../../../../shared/reference/canvas-lms/live-events/',
  import.meta.url,
);

interface Example {
  metadata: Record<string, unknown>;
  body: Record<string, unknown>;
}

function reference(name: string): { schema: Record<string, unknown>; example: Example } {
  const doc = JSON.parse(readFileSync(new URL(`${name}.json`, REFERENCE), 'utf8')) as {
    schema: Record<string, unknown>;
    examples: Array<{ payload: Example }>;
  };
  return { schema: doc.schema, example: doc.examples[0]!.payload };
}

const METADATA_FIELDS = Object.keys(reference('metadata.excerpt').schema);
const keys = (o: object) => Object.keys(o).sort();

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

describe('Canvas simulator Live Events', () => {
  let sim: CanvasSimulator;
  let receiver: LiveEventsReceiver;

  beforeEach(async () => {
    sim = await startCanvasSimulator({ liveEvents: { retryBaseMs: 5, timeoutMs: 2000 } });
    receiver = new LiveEventsReceiver();
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  const control = (path: string, body?: unknown) =>
    fetch(`${sim.url}/__control${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });

  /** A course with a teacher and a student, made before the subscription (no events). */
  function seed() {
    const { state } = sim;
    const teacher = m.createUser(state, { name: 'Tess Teacher', sis_user_id: 'T-1' });
    const student = m.createUser(state, { name: 'Isaac Newton', sis_user_id: 'ABC.123' });
    const course = m.createCourse(state, { name: 'Computer Science I', sis_course_id: 'CS-1' });
    m.enroll(state, { courseId: course.id, userId: teacher.id, type: 'TeacherEnrollment' });
    return { teacher, student, course };
  }

  describe('when a mutation is made through the control API', () => {
    it("sends each as {metadata, body} with the reference example's body keys", async () => {
      const { teacher, student, course } = seed();
      await control('/live-events/subscription', {
        url: await receiver.start(),
        signPayload: false,
      });
      const post = async (path: string, body: unknown) => {
        const res = await control(path, body);
        assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
        return (await res.json()) as { id: number; quiz_id: number | null };
      };
      await post('/enrollments', { courseId: course.id, userId: student.id });
      const a = await post('/assignments', {
        courseId: course.id,
        name: 'Essay',
        actorId: teacher.id,
      });
      await post('/submissions', { assignmentId: a.id, userId: student.id, body: 'my essay' });
      await post('/grades', {
        assignmentId: a.id,
        userId: student.id,
        posted_grade: '5',
        graderId: teacher.id,
      });
      await post('/grades', {
        assignmentId: a.id,
        userId: student.id,
        posted_grade: '9',
        graderId: teacher.id,
      });
      await post('/completions', { courseId: course.id, userId: student.id });
      await sim.sender.settle();

      const events = receiver.events();
      const byName = (name: string) => events.filter((e) => e.metadata.event_name === name);
      for (const name of [
        'enrollment_created',
        'submission_created',
        'grade_change',
        'course_completed',
      ]) {
        const { example } = reference(name);
        const got = byName(name);
        assert.ok(got.length > 0, `${name} sent`);
        const expected = keys(example.body).filter(
          // Canvas omits associated_user_id from non-observer enrollments (its schema says so).
          (k) => !(name === 'enrollment_created' && k === 'associated_user_id'),
        );
        assert.deepEqual(keys(got[0]!.body), expected, `${name} body keys`);
        for (const e of got) {
          const unknown = Object.keys(e.metadata).filter((k) => !METADATA_FIELDS.includes(k));
          assert.deepEqual(unknown, [], `${name} metadata fields are Canvas's`);
          assert.equal(e.metadata.producer, 'canvas');
          assert.equal(e.metadata.context_type, 'Course');
          assert.equal(e.metadata.context_id, globalId(course.id));
          assert.match(String(e.metadata.event_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        }
      }
      // Nested shapes of course_completed match too, with local ids as Canvas sends them.
      const completed = example(events, 'course_completed').body as Record<
        string,
        Record<string, unknown>
      >;
      const ref = reference('course_completed').example.body as Record<
        string,
        Record<string, unknown>
      >;
      for (const part of ['course', 'progress', 'user']) {
        assert.deepEqual(keys(completed[part]!), keys(ref[part]!), `course_completed.${part}`);
      }
      assert.equal(completed.course!.id, String(course.id));

      const [first, second] = byName('grade_change').sort(
        (x, y) => Number(x.body.score) - Number(y.body.score),
      );
      assert.deepEqual(
        [first!.body.old_score, first!.body.score, second!.body.old_score, second!.body.score],
        [null, 5, 5, 9],
      );
      assert.equal(second!.body.old_grade, '5');
      assert.equal(second!.metadata.user_id, globalId(teacher.id));
      assert.equal(second!.metadata.context_role, 'TeacherEnrollment');
      assert.equal(byName('submission_created')[0]!.body.lti_user_id, student.lti_id);
    });

    it('sends enrollment_updated, quiz_submitted, user_updated and wiki_page_updated as documented', async () => {
      const { teacher, student, course } = seed();
      const quiz = m.createAssignment(sim.state, { courseId: course.id, name: 'Quiz', quiz: true });
      const enrollment = m.enroll(sim.state, {
        courseId: course.id,
        userId: student.id,
        enrollment_state: 'invited',
      });
      const page = m.updateWikiPage(sim.state, {
        courseId: course.id,
        title: 'Syllabus',
        body: '<p>v1</p>',
      });
      await control('/live-events/subscription', {
        url: await receiver.start(),
        signPayload: false,
      });

      await control('/enrollments', { courseId: course.id, userId: student.id, state: 'active' });
      await control('/quiz-submissions', { quizId: quiz.quiz_id, userId: student.id, score: 7 });
      await fetch(`${sim.url}/__control/users/${student.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Isaac N. Newton' }),
      });
      await control('/wiki-pages', {
        courseId: course.id,
        pageId: page.id,
        title: 'Syllabus',
        body: '<p>v2</p>',
        actorId: teacher.id,
      });
      await sim.sender.settle();
      // Deliveries run concurrently, so they may arrive in any order (Canvas promises none).
      const names = receiver.events().map((e) => String(e.metadata.event_name));
      assert.deepEqual(names.sort(), [
        'enrollment_updated',
        'grade_change',
        'quiz_submitted',
        'user_updated',
        'wiki_page_updated',
      ]);
      const events = receiver.events();
      const [updated, quizSubmitted, autoGrade, userUpdated, wiki] = [
        'enrollment_updated',
        'quiz_submitted',
        'grade_change',
        'user_updated',
        'wiki_page_updated',
      ].map((name) => example(events, name));
      // Fields of each event type's documented schema (doc/api/data_services/json/canvas/event-types).
      assert.deepEqual(keys(updated!.body), [
        'course_id',
        'course_section_id',
        'created_at',
        'enrollment_id',
        'limit_privileges_to_course_section',
        'type',
        'updated_at',
        'user_id',
        'user_name',
        'workflow_state',
      ]);
      assert.equal(updated!.body.enrollment_id, globalId(enrollment.id));
      assert.equal(updated!.body.workflow_state, 'active');
      const qs = sim.state.list(sim.state.quizSubmissions)[0]!;
      assert.deepEqual(quizSubmitted!.body, {
        quiz_id: globalId(quiz.quiz_id!),
        submission_id: globalId(qs.id),
      });
      assert.equal(autoGrade!.body.grader_id, null);
      assert.equal(autoGrade!.body.score, 7);
      assert.deepEqual(keys(userUpdated!.body), [
        'created_at',
        'name',
        'short_name',
        'updated_at',
        'user_id',
        'user_login',
        'user_sis_id',
        'uuid',
        'workflow_state',
      ]);
      assert.equal(userUpdated!.body.name, 'Isaac N. Newton');
      assert.deepEqual(wiki!.body, {
        body: '<p>v2</p>',
        old_body: '<p>v1</p>',
        old_title: 'Syllabus',
        title: 'Syllabus',
        wiki_page_id: globalId(page.id),
      });
      // A change by nobody (a background job) carries job_id/job_tag, not request fields.
      assert.ok(updated!.metadata.job_tag);
      assert.equal(updated!.metadata.request_id, undefined);
      assert.equal(wiki!.metadata.http_method, 'PUT');
    });
  });

  describe('when "Sign Payload" is on', () => {
    it('posts a JWT whose claims are the event, verifiable with the JWKS, also after a rotation', async () => {
      const { student, course } = seed();
      await control('/live-events/subscription', {
        url: await receiver.start(),
        signPayload: true,
      });
      const jwks = createRemoteJWKSet(new URL(sim.liveEventsJwksUrl), { cooldownDuration: 0 });
      const initial = (await (await fetch(sim.liveEventsJwksUrl)).json()) as {
        keys: Array<{ kid: string; alg: string }>;
      };
      assert.equal(initial.keys.length, 3);
      assert.ok(initial.keys.every((k) => k.alg === 'RS256'));

      m.enroll(sim.state, { courseId: course.id, userId: student.id });
      await sim.sender.settle();
      const before = receiver.posts[0]!;
      assert.equal(before.contentType, 'application/jwt');
      assert.equal(
        decodeProtectedHeader(before.body).kid,
        initial.keys[1]!.kid,
        'signed with the current (middle) key',
      );
      const { payload } = await jwtVerify(before.body, jwks, { algorithms: ['RS256'] });
      assert.equal((payload.metadata as Record<string, unknown>).event_name, 'enrollment_created');
      assert.equal((payload.body as Record<string, unknown>).user_id, globalId(student.id));

      const rotated = (await (await control('/live-events/rotate')).json()) as {
        previous: string;
        current: string;
      };
      assert.deepEqual(
        [rotated.previous, rotated.current],
        [initial.keys[1]!.kid, initial.keys[2]!.kid],
      );
      m.completeCourse(sim.state, { courseId: course.id, userId: student.id });
      await sim.sender.settle();
      const after = receiver.posts[1]!;
      assert.equal(decodeProtectedHeader(after.body).kid, rotated.current);
      await jwtVerify(after.body, jwks);
      // The event signed before the rotation still verifies: its key is now "previous".
      await jwtVerify(before.body, createRemoteJWKSet(new URL(sim.liveEventsJwksUrl)));

      await sim.keys.rotate();
      await assert.rejects(
        jwtVerify(before.body, createRemoteJWKSet(new URL(sim.liveEventsJwksUrl))),
        { code: 'ERR_JWKS_NO_MATCHING_KEY' },
      );
    });
  });

  describe('when the endpoint fails', () => {
    it('retries three times with backoff, then drops the event and counts it', async () => {
      const { student, course } = seed();
      receiver.status = 500;
      await control('/live-events/subscription', {
        url: await receiver.start(),
        signPayload: false,
      });
      m.enroll(sim.state, { courseId: course.id, userId: student.id });
      await sim.sender.settle();
      assert.equal(receiver.posts.length, 4);
      assert.equal(new Set(receiver.posts.map((p) => p.body)).size, 1, 'the same event each time');
      const counters = (await (await fetch(`${sim.url}/__control/counters`)).json()) as {
        events: { sent: number; dropped: number; attempts: number };
      };
      assert.deepEqual(counters.events, { sent: 0, dropped: 1, suppressed: 0, attempts: 4 });

      receiver.status = 200;
      m.completeCourse(sim.state, { courseId: course.id, userId: student.id });
      await sim.sender.settle();
      assert.equal(sim.sender.counters.sent, 1);
    });

    it('recovers when the endpoint comes back within the retries', async () => {
      const { student, course } = seed();
      receiver.status = 503;
      await control('/live-events/subscription', {
        url: await receiver.start(),
        signPayload: false,
      });
      m.enroll(sim.state, { courseId: course.id, userId: student.id });
      await waitFor(() => receiver.posts.length >= 2, 'two failed tries');
      receiver.status = 200;
      await sim.sender.settle();
      assert.equal(sim.sender.counters.sent, 1);
      assert.equal(sim.sender.counters.dropped, 0);
    });
  });

  describe('when the stream is stopped (a Live Events outage)', () => {
    it('delivers nothing made meanwhile, which the REST API still shows, and resumes on start', async () => {
      const { teacher, student, course } = seed();
      const token = m.issueAccessToken(sim.state, teacher.id);
      const a = m.createAssignment(sim.state, { courseId: course.id, name: 'Essay' });
      m.enroll(sim.state, { courseId: course.id, userId: student.id });
      await control('/live-events/subscription', {
        url: await receiver.start(),
        signPayload: false,
      });

      assert.equal((await control('/live-events/stop')).status, 200);
      const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      m.grade(sim.state, {
        assignmentId: a.id,
        userId: student.id,
        posted_grade: '6',
        graderId: teacher.id,
      });
      await sim.sender.settle();
      assert.equal(receiver.posts.length, 0);
      assert.equal(sim.sender.counters.suppressed, 1);
      const missed = (await (
        await fetch(
          `${sim.url}/api/v1/courses/${course.id}/students/submissions?student_ids[]=all&graded_since=${since}`,
          { headers: { authorization: `Bearer ${token}` } },
        )
      ).json()) as Array<{ user_id: number; score: number }>;
      assert.deepEqual(
        missed.map((s) => [s.user_id, s.score]),
        [[student.id, 6]],
      );

      await control('/live-events/start');
      m.grade(sim.state, {
        assignmentId: a.id,
        userId: student.id,
        posted_grade: '7',
        graderId: teacher.id,
      });
      await sim.sender.settle();
      assert.deepEqual(
        receiver.events().map((e) => [e.metadata.event_name, e.body.score]),
        [['grade_change', 7]],
      );
    });
  });
});

function example(events: Example[], name: string): Example {
  const found = events.find((e) => e.metadata.event_name === name);
  assert.ok(found, `${name} sent`);
  return found;
}

import assert from 'node:assert/strict';
import { exampleEvent, signStatusToken, type StatusScope, type SyncEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

// Course-scoped status tokens (issue 10): the LTI tool mints them at a launch; the relay lets an
// instructor read their course and a student only their own entities, and nothing else.

const STUDENT = '21070000000020001';
const OTHER_STUDENT = '21070000000020002';
const TEACHER = '21070000000000987';

/** A grade of `user` in `course`, as the LTI tool would send it. */
function grade(seq: number, course: string, user: string): SyncEvent {
  const event = exampleEvent('grade', seq);
  const payload = { ...event.payload, course_id: course, user_id: user };
  return {
    ...event,
    payload,
    key: `course:${course}/user:${user}/assignment:${String(event.payload.assignment_id)}`,
  };
}

interface CourseBody {
  course: string;
  backlog: Record<string, { backlog: number; lagMs: number }>;
  recent: Array<{ id: string; key: string; state: string }>;
  conflicts: unknown[];
  deadLetters: unknown[];
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`status API scoped to a course (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    const mine = grade(1, '565', STUDENT);
    const classmate = grade(2, '565', OTHER_STUDENT);
    const elsewhere = grade(3, '777', STUDENT);

    const token = (scope: Partial<StatusScope>, options: { now?: number } = {}) =>
      signStatusToken({ course: '565', role: 'instructor', user: TEACHER, ...scope }, h.signer, {
        ttlSeconds: 300,
        ...options,
      });
    const get = async (path: string, bearer: string) => {
      const response = await fetch(`${h.url}${path}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const post = async (path: string, bearer: string, body?: unknown) => {
      const response = await fetch(`${h.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const messageOf = (body: Record<string, unknown>) =>
      (body.error as { message: string } | undefined)?.message ?? '';

    before(async () => {
      h = await new RelayHarness({ dialect }).start();
      await h.send([mine, classmate, elsewhere]);
      await waitFor('the grades applied', async () => (await h.eventStates()).applied === 3);
    });
    after(async () => {
      await h?.stop();
    });

    it("shows an instructor their course's events, backlog, conflicts and dead letters", async () => {
      const { status, body } = await get('/v1/status/courses/565', await token({}));
      assert.equal(status, 200);
      const course = body as unknown as CourseBody;
      assert.equal(course.course, '565');
      assert.deepEqual(
        new Set(course.recent.map((e) => e.id)),
        new Set([mine.id, classmate.id]),
        'both grades of course 565 and not the one of course 777',
      );
      assert.ok(course.recent.every((e) => e.state === 'applied'));
      assert.deepEqual(Object.keys(course.backlog).sort(), ['background', 'critical', 'high']);
      assert.deepEqual(course.conflicts, []);
      assert.deepEqual(course.deadLetters, []);
    });

    it('shows a student only their own entities, and hides the others', async () => {
      const student = await token({ role: 'student', user: STUDENT });
      const view = (await get('/v1/status/courses/565', student)).body as unknown as CourseBody;
      assert.deepEqual(
        view.recent.map((e) => e.id),
        [mine.id],
      );
      assert.equal((await get(`/v1/status/events/${mine.id}`, student)).status, 200);
      const hidden = await get(`/v1/status/events/${classmate.id}`, student);
      assert.equal(hidden.status, 404, "a classmate's event is not there for them");
      const entity = await get(
        `/v1/status/entities?key=${encodeURIComponent(classmate.key)}`,
        student,
      );
      assert.equal(entity.status, 403);
      assert.match(messageOf(entity.body), /only your own entities.*does not cover entity/);
    });

    it('refuses another course, the summary and the metrics to a course token', async () => {
      const instructor = await token({});
      const other = await get('/v1/status/courses/777', instructor);
      assert.equal(other.status, 403);
      assert.match(messageOf(other.body), /course 565\) does not cover course 777/);
      assert.equal((await get(`/v1/status/events/${elsewhere.id}`, instructor)).status, 404);
      const summary = await get('/v1/status/summary', instructor);
      assert.equal(summary.status, 403);
      assert.match(messageOf(summary.body), /needs the admin token.*\/v1\/status\/courses\/565/);
      const metrics = await fetch(`${h.url}/metrics`, {
        headers: { authorization: `Bearer ${instructor}` },
      });
      assert.equal(metrics.status, 401, 'metrics are for the admin token only');
    });

    it('refuses an expired token and one from a key that does not speak for Canvas, saying why', async () => {
      const expired = await token({}, { now: Date.now() - 3_600_000 });
      const late = await get('/v1/status/courses/565', expired);
      assert.equal(late.status, 401);
      assert.match(messageOf(late.body), /status token refused: token expired/);
      const forum = await signStatusToken(
        { course: '565', role: 'instructor', user: TEACHER },
        h.discourseSigner,
      );
      const foreign = await get('/v1/status/courses/565', forum);
      assert.equal(foreign.status, 401);
      assert.match(messageOf(foreign.body), /does not speak for canvas/);
    });

    it('lets an instructor take a side in a conflict of their course; not a student, not another course', async () => {
      const canvas = exampleEvent('content_edit', 7, { source: 'canvas', vv: { canvas: 1 } });
      const discourse = {
        ...exampleEvent('content_edit', 7, { source: 'discourse', vv: { discourse: 1 } }),
        payload: { ...canvas.payload, body_html: '<p>Edited in the forum.</p>' },
      };
      await h.send([canvas, discourse]);
      await h.relay.workers!.runBackgroundBatch();
      const instructor = await token({});
      const conflicts = await waitFor('the conflict on the course page', async () => {
        const view = (await get('/v1/status/courses/565', instructor))
          .body as unknown as CourseBody;
        return view.conflicts.length === 1
          ? (view.conflicts as Array<{ id: string; key: string }>)
          : undefined;
      });
      const { id, key } = conflicts![0]!;
      assert.equal(key, canvas.key);
      const path = `/v1/status/conflicts/${id}/resolve`;

      const student = await post(path, await token({ role: 'student', user: STUDENT }), {
        take: 'canvas',
      });
      assert.equal(student.status, 404, 'a content page names no student: not theirs to see');
      const otherCourse = await post(path, await token({ course: '777' }), { take: 'canvas' });
      assert.equal(otherCourse.status, 404);
      const badSide = await post(path, instructor, { take: 'moodle' });
      assert.equal(badSide.status, 400);
      assert.match(messageOf(badSide.body), /must be "canvas" or "discourse"/);

      const taken = await post(path, instructor, { take: 'discourse' });
      assert.equal(taken.status, 202);
      assert.match(String(taken.body.eventId), /^[0-9a-f-]{36}$/);
      const again = await post(path, instructor, { take: 'canvas' });
      assert.equal(again.status, 409);
      assert.match(messageOf(again.body), /already resolved/);
      const audit = await h.relay.store.db
        .selectFrom('audit')
        .select(['actor', 'detail'])
        .where('action', '=', 'conflict.resolved')
        .where('subject', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor, `lti:${TEACHER}@course:565`);
    });

    it('lets an instructor replay a dead letter of their course', async () => {
      const refused = grade(8, '565', STUDENT);
      h.target.refuse.set(refused.id, 'assignment is closed');
      await h.send([refused]);
      await waitFor('dead-lettered', async () => (await h.eventStates()).dead === 1);
      const instructor = await token({});
      const view = (await get('/v1/status/courses/565', instructor)).body as unknown as CourseBody;
      assert.deepEqual(
        (view.deadLetters as Array<{ eventId: string }>).map((d) => d.eventId),
        [refused.id],
      );
      const path = `/v1/status/dead-letters/${refused.id}/replay`;
      const student = await post(path, await token({ role: 'student', user: STUDENT }));
      assert.equal(student.status, 403, 'their own grade, but students do not act');
      h.target.refuse.delete(refused.id);
      const replayed = await post(path, instructor);
      assert.equal(replayed.status, 202);
      assert.equal(replayed.body.replayed, 1);
      // The replay keeps its delivery id (the target applies a delivery once): watch the relay's state.
      await waitFor(
        'applied after the replay',
        async () =>
          (
            (await get(`/v1/status/events/${refused.id}`, instructor)).body.event as {
              state: string;
            }
          ).state === 'applied',
      );
      const twice = await post(path, instructor);
      assert.equal(twice.status, 409);
      assert.match(messageOf(twice.body), /no open dead letter/);
    });

    it("streams a student only their own entities' changes", async () => {
      const student = await token({ role: 'student', user: STUDENT });
      const abort = new AbortController();
      const response = await fetch(`${h.url}/v1/status/stream`, {
        headers: { authorization: `Bearer ${student}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      assert.equal(response.status, 200);
      let raw = '';
      const reading = (async () => {
        try {
          for await (const chunk of response.body!) raw += new TextDecoder().decode(chunk);
        } catch {
          // aborted below
        }
      })();
      await waitFor('subscribed', () => raw.includes(': subscribed'));
      const next = [grade(4, '565', OTHER_STUDENT), grade(5, '565', STUDENT)];
      await h.send(next);
      await waitFor('their own grade streamed', () => raw.includes(next[1]!.id));
      await waitFor('both applied', async () => {
        const states = await Promise.all(
          next.map(
            async (e) =>
              (await get(`/v1/status/events/${e.id}`, 'test-admin-token-0123456789')).body.event,
          ),
        );
        return states.every((e) => (e as { state: string }).state === 'applied');
      });
      abort.abort();
      await reading;
      assert.ok(!raw.includes(next[0]!.id), "a classmate's change never reaches the stream");
    });
  });
}

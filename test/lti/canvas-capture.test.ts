// Canvas change capture end to end: the simulated Canvas's Live Events (signed, rotating keys) and
// REST API, the tool's intake, outbox, poller and sender, and a real relay (Redis + SQLite or
// PostgreSQL). Each test uses its own course, so one relay per database serves the whole suite.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { generateKeyPair, SignJWT } from 'jose';
import type { SyncEvent } from '@cds/shared';
import { canvasIntakeRouter, createLiveEventsVerifier } from '../../lti-tool/src/intake/index.js';
import {
  CanvasRest,
  createCanvasPoller,
  restCanvasLookup,
} from '../../lti-tool/src/poller/index.js';
import {
  CanvasOutbox,
  createRelaySender,
  type RelaySender,
} from '../../lti-tool/src/sender/index.js';
import * as m from '../sim/canvas/mutations.js';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { globalId } from '../sim/canvas/state.js';
import { RelayHarness } from '../support/relay-harness.js';

/** An HTTP server for an express app on a free port. */
async function serve(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A proxy in front of the relay that can play dead (503) while a test needs it to. */
function relayProxy(target: () => string) {
  const state = { down: false };
  const app = express();
  app.use(express.raw({ type: () => true, limit: '10mb' }));
  app.use(async (req, res) => {
    if (state.down)
      return void res
        .status(503)
        .json({ error: { code: 'ERR_UNAVAILABLE', message: 'relay down' } });
    const answer = await fetch(`${target()}${req.originalUrl}`, {
      method: req.method,
      headers: { 'content-type': req.get('content-type') ?? 'application/json' },
      body: req.method === 'GET' ? undefined : (req.body as Buffer),
    });
    res
      .status(answer.status)
      .type('application/json')
      .send(await answer.text());
  });
  return { app, state };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Canvas change capture into the relay (${dialect})`, function () {
    this.timeout(60_000);
    let harness: RelayHarness;
    let sim: CanvasSimulator;
    let outbox: CanvasOutbox;
    let sender: RelaySender;
    let tool: { url: string; server: Server };
    let proxy: ReturnType<typeof relayProxy> & { url?: string; server?: Server };
    let rest: CanvasRest;
    let intake: ReturnType<typeof canvasIntakeRouter>;

    /** The tool's sender to the relay, through the proxy, with short backoffs. */
    const newSender = () =>
      createRelaySender({
        outbox,
        signer: harness.signer,
        relayUrl: proxy.url!,
        batchSize: 10,
        backoffMs: 20,
        maxBackoffMs: 100,
        idleMs: 100,
      });

    before(async () => {
      harness = await new RelayHarness({ dialect }).start();
      // A fast-leaking bucket: a forced throttle clears in about half a second.
      sim = await startCanvasSimulator({
        throttle: { outflow: 400 },
        liveEvents: { retryBaseMs: 10, timeoutMs: 5000 },
      });
      // The tool shares the relay's database, as in the embedded default.
      outbox = await CanvasOutbox.open(harness.relay.store);
      proxy = relayProxy(() => harness.url);
      Object.assign(proxy, await serve(proxy.app));
      sender = newSender();
      const admin = m.createUser(sim.state, { name: 'Api Admin' });
      rest = new CanvasRest({
        baseUrl: sim.url,
        token: m.issueAccessToken(sim.state, admin.id),
        backoffMs: 100,
        maxBackoffMs: 400,
        maxAttempts: 10,
        lowWaterPauseMs: 50,
      });
      intake = canvasIntakeRouter({
        // A cooldown of 0: a kid the cached JWKS lacks is fetched at once (rotation tests).
        verify: createLiveEventsVerifier({ jwksUrl: sim.liveEventsJwksUrl, jwksCooldownMs: 0 }),
        outbox,
        lookup: restCanvasLookup(rest),
        maxBodyBytes: 64 * 1024,
      });
      const app = express();
      app.use(intake);
      tool = await serve(app);
      sim.sender.subscribe({ url: `${tool.url}/v1/intake/canvas`, signPayload: true });
    });

    after(async () => {
      await sender?.close();
      await sim?.close();
      if (tool) await closeServer(tool.server);
      if (proxy?.server) await closeServer(proxy.server);
      await harness?.stop();
    });

    /** A course with a student and an assignment (the enrollment goes out as a Live Event). */
    async function seedCourse(name: string) {
      const { state } = sim;
      const course = m.createCourse(state, { name });
      const student = m.createUser(state, { name: `${name} Student` });
      m.enroll(state, { courseId: course.id, userId: student.id });
      const assignment = m.createAssignment(state, { courseId: course.id, name: 'Essay' });
      await settle();
      return { course, student, assignment };
    }

    const gradeKey = (course: number, user: number, assignment: number) =>
      `course:${globalId(course)}/user:${globalId(user)}/assignment:${globalId(assignment)}`;

    /** The relay's logged events for a key. */
    async function atRelay(key: string) {
      return harness.relay.store.db
        .selectFrom('events')
        .select(['id', 'key', 'entity', 'source', 'body'])
        .where('key', '=', key)
        .execute();
    }

    /** Waits for Canvas's deliveries, then sends everything the outbox holds. */
    async function settle(): Promise<void> {
      await sim.sender.settle();
      assert.equal(await sender.flush(), 0, `outbox still pending: ${sender.stats.lastError}`);
    }

    const post = (body: string, contentType: string) =>
      fetch(`${tool.url}/v1/intake/canvas`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });

    describe('when Canvas sends a grade_change', () => {
      it('reaches the relay exactly once, also when Canvas sends it again in any content type', async () => {
        const { course, student, assignment } = await seedCourse('Once');
        m.grade(sim.state, { assignmentId: assignment.id, userId: student.id, posted_grade: '7' });
        await settle();
        const key = gradeKey(course.id, student.id, assignment.id);
        const first = await atRelay(key);
        assert.equal(first.length, 1);
        assert.equal((JSON.parse(first[0]!.body) as SyncEvent).payload.score, 7);

        // Canvas retries: the same event, signed again, as application/jwt, text/plain and JSON.
        const record = sim.sender.log.findLast(
          (r) => r.event.metadata.event_name === 'grade_change',
        );
        const jwt = await sim.keys.sign({ ...record!.event });
        for (const [body, type] of [
          [jwt, 'application/jwt'],
          [jwt, 'text/plain'],
          [JSON.stringify(jwt), 'application/json'],
        ] as const) {
          const answer = await post(body, type);
          assert.equal(answer.status, 200);
          const json = (await answer.json()) as { events: Array<{ id: string; status: string }> };
          assert.deepEqual(
            json.events.map((e) => [e.id, e.status]),
            [[first[0]!.id, 'unchanged']],
          );
        }
        await settle();
        assert.equal((await atRelay(key)).length, 1);
      });
    });

    describe('when a body is forged, unsigned or malformed', () => {
      it('refuses each with its status and reason and stores nothing', async () => {
        const { course, student, assignment } = await seedCourse('Refused');
        const event = {
          metadata: {
            event_name: 'grade_change',
            event_time: new Date().toISOString(),
            context_type: 'Course',
            context_id: globalId(course.id),
          },
          body: {
            submission_id: globalId(9999),
            assignment_id: globalId(assignment.id),
            user_id: globalId(student.id),
            score: 10,
            grade: '10',
            grading_complete: true,
          },
        };
        const before = await outbox.counts();
        const forger = await generateKeyPair('RS256');
        const forged = await new SignJWT(event)
          .setProtectedHeader({ alg: 'RS256', kid: sim.keys.currentKid })
          .sign(forger.privateKey);
        const unknownKid = await new SignJWT(event)
          .setProtectedHeader({ alg: 'RS256', kid: 'not-a-canvas-key' })
          .sign(forger.privateKey);
        const notAnEvent = await sim.keys.sign({ hello: 'world' });
        const cases: Array<[string, string, number, string, RegExp]> = [
          [
            JSON.stringify(event),
            'application/json',
            401,
            'ERR_UNAUTHORIZED',
            /unsigned Live Event refused.*Sign Payload/,
          ],
          [forged, 'application/jwt', 401, 'ERR_BAD_SIGNATURE', /does not verify/],
          [
            unknownKid,
            'application/jwt',
            401,
            'ERR_UNKNOWN_KEY',
            /not in Canvas's Live Events JWKS/,
          ],
          [
            '{"metadata": ',
            'application/json',
            400,
            'ERR_MALFORMED',
            /neither a signed Live Event/,
          ],
          ['a.b.c', 'text/plain', 400, 'ERR_MALFORMED', /malformed/],
          [notAnEvent, 'application/jwt', 400, 'ERR_INVALID_EVENT', /invalid Canvas Live Event/],
          ['x'.repeat(100 * 1024), 'text/plain', 413, 'ERR_TOO_LARGE', /larger than/],
        ];
        for (const [body, type, status, code, message] of cases) {
          const answer = await post(body, type);
          const json = (await answer.json()) as { error: { code: string; message: string } };
          assert.equal(answer.status, status, `${code}: ${json.error?.message}`);
          assert.equal(json.error.code, code);
          assert.match(json.error.message, message);
        }
        assert.deepEqual(await outbox.counts(), before);
        assert.equal((await atRelay(gradeKey(course.id, student.id, assignment.id))).length, 0);
      });
    });

    describe('when Canvas rotates its Live Events keys', () => {
      it('keeps verifying: next becomes current, then keys the tool has never seen', async () => {
        const { course, student, assignment } = await seedCourse('Rotation');
        const key = gradeKey(course.id, student.id, assignment.id);
        const grades = ['4', '5', '6'];
        const kids: string[] = [];
        for (const [i, posted] of grades.entries()) {
          // 1 rotation: the old "next" signs; then 2: a key absent from any JWKS fetched so far.
          for (let r = 0; r < i; r++) await sim.keys.rotate();
          kids.push(sim.keys.currentKid);
          m.grade(sim.state, {
            assignmentId: assignment.id,
            userId: student.id,
            posted_grade: posted,
          });
          await settle();
        }
        assert.equal(new Set(kids).size, 3);
        const scores = (await atRelay(key)).map(
          (r) => (JSON.parse(r.body) as SyncEvent).payload.score,
        );
        assert.deepEqual(scores.sort(), [4, 5, 6]);
        assert.equal(sim.sender.counters.dropped, 0);
      });
    });

    describe('when the relay is down', () => {
      it('keeps the events in the outbox, across a restart of the sender, and delivers them once it is back', async () => {
        const { course, student, assignment } = await seedCourse('Outage');
        const key = gradeKey(course.id, student.id, assignment.id);
        proxy.state.down = true;
        try {
          m.grade(sim.state, {
            assignmentId: assignment.id,
            userId: student.id,
            posted_grade: '8',
          });
          await sim.sender.settle();
          assert.equal(await sender.flush(), 1);
          const [waiting] = await outbox.pending(10);
          assert.equal(waiting!.event.key, key);
          assert.match(waiting!.reason ?? '', /503/);
          assert.equal((await atRelay(key)).length, 0);
          await sender.close(); // the tool stops while the relay is down
        } finally {
          proxy.state.down = false;
        }
        sender = newSender();
        sender.start(); // the loop drains on its own
        for (let i = 0; i < 200 && (await outbox.counts()).pending > 0; i++)
          await new Promise((r) => setTimeout(r, 25));
        assert.equal((await outbox.counts()).pending, 0);
        const arrived = await atRelay(key);
        assert.equal(arrived.length, 1);
        assert.equal((JSON.parse(arrived[0]!.body) as SyncEvent).payload.score, 8);
      });
    });

    describe('when the relay refuses an event', () => {
      it('keeps it with the reason and does not send it again', async () => {
        const { course, student } = await seedCourse('Refusal');
        // The tool's key may not speak for discourse: the relay rejects this event alone.
        const event: SyncEvent = {
          id: '01890000-0000-7000-8000-00000000a001',
          source: 'discourse',
          entity: 'profile',
          key: `profile:canvas:${globalId(student.id)}`,
          op: 'upsert',
          vv: { discourse: 1 },
          hlc: { wall: Date.now(), counter: 0, node: 'discourse' },
          schema: 'profile@v1',
          payload: { canvas_user_id: globalId(student.id), name: `course ${course.id}` },
        } as SyncEvent;
        await outbox.enqueue([event], 'poller');
        assert.equal(await sender.flush(), 0);
        const [refused] = (await outbox.list('rejected')).filter((r) => r.event.id === event.id);
        assert.match(refused!.reason ?? '', /ERR_FORBIDDEN/);
        const batches = sender.stats.batches;
        await sender.flush();
        assert.equal(sender.stats.batches, batches);
      });
    });

    describe('when the Live Events stream stops for a while', () => {
      it('the poller finds the changes made meanwhile, and the relay gets each change once', async () => {
        const { course, student, assignment } = await seedCourse('Backfill');
        m.grade(sim.state, { assignmentId: assignment.id, userId: student.id, posted_grade: '3' });
        await settle(); // seen by the Live Events: the poller must not send it again

        sim.sender.stop();
        const late = m.createUser(sim.state, { name: 'Late Student' });
        const lateEnrollment = m.enroll(sim.state, { courseId: course.id, userId: late.id });
        m.grade(sim.state, { assignmentId: assignment.id, userId: late.id, posted_grade: '9' });
        m.grade(sim.state, { assignmentId: assignment.id, userId: student.id, posted_grade: '5' });
        sim.sender.start();
        assert.ok(sim.sender.counters.suppressed >= 3);

        const poller = createCanvasPoller({ rest, outbox, courses: () => [globalId(course.id)] });
        const round = await poller.pollOnce();
        assert.deepEqual(
          round.filter((r) => r.error),
          [],
        );
        await settle();

        const first = (await atRelay(gradeKey(course.id, student.id, assignment.id))).map(
          (r) => (JSON.parse(r.body) as SyncEvent).payload.score,
        );
        assert.deepEqual(first.sort(), [3, 5]);
        const lateGrade = await atRelay(gradeKey(course.id, late.id, assignment.id));
        assert.equal(lateGrade.length, 1);
        const enrollmentKey = `course:${globalId(course.id)}/enrollment:${globalId(lateEnrollment.id)}`;
        assert.equal((await atRelay(enrollmentKey)).length, 1);
        // The enrollment the Live Events delivered before the outage is not sent again.
        const early = sim.state.list(
          sim.state.enrollments,
          (e) => e.course_id === course.id && e.user_id === student.id,
        )[0]!;
        assert.equal(
          (await atRelay(`course:${globalId(course.id)}/enrollment:${globalId(early.id)}`)).length,
          1,
        );

        // A second round finds nothing new.
        const again = await poller.pollOnce();
        assert.equal(
          again.reduce((n, r) => n + r.stored, 0),
          0,
        );
        assert.ok(await outbox.cursor(globalId(course.id), 'grades'));
      });
    });

    describe('when Canvas throttles the poller', () => {
      it('backs off on 403 Rate Limit Exceeded and completes the round', async () => {
        const { course, student, assignment } = await seedCourse('Throttled');
        sim.sender.stop();
        m.grade(sim.state, { assignmentId: assignment.id, userId: student.id, posted_grade: '2' });
        sim.sender.start();
        const throttledBefore = sim.throttle.throttled;
        const seenBefore = rest.stats.throttled;
        sim.throttle.fill(); // every client's bucket full: 403 until it leaks below the mark
        const poller = createCanvasPoller({
          rest,
          outbox,
          courses: () => [globalId(course.id)],
          streams: ['grades'],
        });
        const round = await poller.pollOnce();
        assert.deepEqual(
          round.map((r) => [r.stream, r.error]),
          [['grades', undefined]],
        );
        assert.ok(sim.throttle.throttled > throttledBefore);
        assert.ok(rest.stats.throttled > seenBefore);
        sim.throttle.reset();
        await settle();
        assert.equal((await atRelay(gradeKey(course.id, student.id, assignment.id))).length, 1);
      });
    });
  });
}

// The LTI tool wired as a school runs it (startLtiTool from its settings), against the Canvas
// simulator and a real relay (Redis + SQLite or PostgreSQL) whose Canvas side is the tool
// (CANVAS_DELIVERY_URL): a grade changed in Canvas reaches the relay by signed Live Events and
// shows on the instructor's course page; a participation grade from the forum comes back through
// the relay and lands in Canvas through AGS, once; with Live Events down the poller back-fills.
import assert from 'node:assert/strict';
import { loadLtiSettings, startLtiTool, type RunningLtiTool } from '@cds/lti-tool';
import { canvasToolConfiguration } from '@cds/lti-tool';
import { TEST_DIALECTS } from '@cds/relay/testing';
import { exampleEvent, type SyncEvent } from '@cds/shared';
import * as m from '../sim/canvas/mutations.js';
import { parseForm } from '../sim/canvas/lti/fixture.js';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { globalId, type Assignment, type Course, type User } from '../sim/canvas/state.js';
import { freePort } from '../support/ports.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

const quiet = { info: () => undefined, warn: () => undefined };

/** Cookies a response sets, as a Cookie header. */
function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

for (const dialect of TEST_DIALECTS) {
  describe(`the LTI tool wired to Canvas and the relay (${dialect})`, function () {
    this.timeout(90_000);
    let h: RelayHarness;
    let sim: CanvasSimulator;
    let tool: RunningLtiTool;
    let toolUrl: string;
    let clientId: string;
    let course: Course;
    let teacher: User;
    let student: User;
    let essay: Assignment;

    before(async () => {
      sim = await startCanvasSimulator({ liveEvents: { retryBaseMs: 10, timeoutMs: 5000 } });
      course = m.createCourse(sim.state, { name: 'Wired 101', course_code: 'W101' });
      teacher = m.createUser(sim.state, { name: 'Tess Teacher' });
      student = m.createUser(sim.state, { name: 'Stu Student' });
      m.enroll(sim.state, { courseId: course.id, userId: teacher.id, type: 'TeacherEnrollment' });
      m.enroll(sim.state, { courseId: course.id, userId: student.id, type: 'StudentEnrollment' });
      essay = m.createAssignment(sim.state, { courseId: course.id, name: 'Essay' });
      const admin = m.createUser(sim.state, { name: 'Api Admin' });
      sim.state.accountAdmins.add(admin.id); // the API token's user: reads courses, writes pages

      const port = await freePort();
      toolUrl = `http://127.0.0.1:${port}`;
      h = await new RelayHarness({
        dialect,
        env: { CANVAS_DELIVERY_URL: `${toolUrl}/v1/deliveries` },
      }).start();
      const settings = loadLtiSettings({
        LTI_KEY: 'wired-lti-key-0123456789abcdef',
        DATABASE_URL: h.database.url,
        LTI_PORT: String(port),
        LTI_PUBLIC_URL: toolUrl,
        RELAY_URL: h.url,
        CANVAS_URL: sim.url,
        CANVAS_API_TOKEN: m.issueAccessToken(sim.state, admin.id),
        CANVAS_LIVE_EVENTS_JWKS_URL: sim.liveEventsJwksUrl,
        CANVAS_POLL_COURSES: globalId(course.id),
        CANVAS_POLL_INTERVAL: '500ms',
      });
      tool = await startLtiTool({
        settings,
        // Embedded: one database, the relay's store; the tool's key is the harness's Canvas key.
        store: h.relay.store,
        signer: h.signer,
        log: quiet,
        onError: (error) => process.stderr.write(`lti-tool: ${String(error)}\n`),
        tuning: {
          sender: { idleMs: 100, backoffMs: 20, maxBackoffMs: 200 },
          rest: { backoffMs: 100, maxBackoffMs: 400, lowWaterPauseMs: 50 },
          jwksCooldownMs: 0,
        },
      });
      await tool.listen(port);
      // Installed from the developer-key JSON, as an admin pastes it.
      const lti = sim.lti!;
      const { registration, deployment } = lti.installTool(
        canvasToolConfiguration(toolUrl) as unknown as Parameters<typeof lti.installTool>[0],
      );
      clientId = registration.clientId;
      await tool.tool.platforms.add({
        issuer: sim.url,
        clientId,
        deploymentIds: [deployment.deploymentId],
        authUrl: `${sim.url}/api/lti/authorize_redirect`,
        tokenUrl: `${sim.url}/login/oauth2/token`,
        jwksUrl: `${sim.url}/api/lti/security/jwks`,
      });
      sim.sender.subscribe({ url: `${toolUrl}/v1/intake/canvas`, signPayload: true });
    });

    after(async () => {
      await tool?.close();
      await sim?.close();
      await h?.stop();
    });

    const gradeKey = (assignment: number, user = student.id) =>
      `course:${globalId(course.id)}/user:${globalId(user)}/assignment:${globalId(assignment)}`;

    async function atRelay(key: string) {
      return h.relay.store.db
        .selectFrom('events')
        .select(['id', 'source', 'state', 'body'])
        .where('key', '=', key)
        .execute();
    }

    const scores = async (key: string, source = 'canvas') =>
      (await atRelay(key))
        .filter((r) => r.source === source)
        .map((r) => (JSON.parse(r.body) as SyncEvent).payload.score as number)
        .sort((a, b) => a - b);

    /** A launch from course navigation, over HTTP as a browser makes it: its ltik and cookies. */
    async function launch(user: User): Promise<{ ltik: string; cookie: string }> {
      const login = parseForm(
        await (
          await fetch(sim.lti!.launchUrl({ courseId: course.id, clientId, userId: user.id }))
        ).text(),
      );
      // The cookie path, as a browser that keeps cookies takes it (without the platform storage
      // exchange, which needs a page: launch-no-cookies.e2e.test.ts).
      const { lti_storage_target: _storage, ...fields } = login.fields;
      const initiated = await fetch(login.action, {
        method: 'POST',
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });
      assert.equal(initiated.status, 302, await initiated.text());
      const cookie = cookiesOf(initiated);
      const auth = await fetch(initiated.headers.get('location')!);
      const form = parseForm(await auth.text());
      const launched = await fetch(form.action, {
        method: 'POST',
        headers: { cookie },
        body: new URLSearchParams(form.fields),
        redirect: 'manual',
      });
      const location = launched.headers.get('location');
      const ltik = location && new URL(location, toolUrl).searchParams.get('ltik');
      assert.ok(ltik, `the launch answered ${launched.status}: ${await launched.text()}`);
      // ltijs's session: the ltik together with the cookie the launch set.
      return { ltik, cookie: [cookie, cookiesOf(launched)].filter(Boolean).join('; ') };
    }

    it('a grade changed in Canvas reaches the relay by signed Live Events and shows on the instructor page', async () => {
      m.grade(sim.state, { assignmentId: essay.id, userId: student.id, posted_grade: '7' });
      await sim.sender.settle();
      const key = gradeKey(essay.id);
      const [event] = await waitFor('the grade at the relay', async () => {
        const rows = await atRelay(key);
        return rows.length > 0 ? rows : undefined;
      }).then((rows) => rows!);
      assert.equal((JSON.parse(event!.body) as SyncEvent).payload.score, 7);
      // It came by the Live Event (the poller would have found it too, later).
      const sent = await tool.outbox.list('done', 1000);
      assert.equal(sent.find((r) => r.event.id === event!.id)?.origin, 'live_event');

      const { ltik, cookie } = await launch(teacher);
      const status = await fetch(`${toolUrl}/lti/page/status?ltik=${encodeURIComponent(ltik)}`, {
        headers: { cookie },
      });
      assert.equal(status.status, 200);
      const html = await status.text();
      assert.match(html, new RegExp(`data-event="${event!.id}"`));
      assert.ok(html.includes(key), 'the grade is listed by its key');
      // Seen by both Live Events and the poller, it is at the relay once.
      await tool.poller!.pollOnce();
      await tool.sender.flush();
      assert.deepEqual(await scores(key), [7]);
    });

    it('a participation grade from the forum is delivered by the relay and published through AGS, once', async () => {
      const participation = m.createAssignment(sim.state, {
        courseId: course.id,
        name: 'Forum participation',
      });
      const key = gradeKey(participation.id);
      const e = exampleEvent('grade', 41, { source: 'discourse', vv: { discourse: 1 } });
      const event: SyncEvent = {
        ...e,
        key,
        payload: {
          ...e.payload,
          course_id: globalId(course.id),
          user_id: globalId(student.id),
          assignment_id: globalId(participation.id),
          score: 8,
          grade: '8',
          points_possible: 10,
        },
      } as SyncEvent;
      const [sent] = await h.send([event]);
      assert.equal(sent!.status, 202, JSON.stringify(sent!.body));

      const lti = sim.lti!.store;
      const lineItem = await waitFor('the line item the tool made', () =>
        [...lti.lineItems.values()].find(
          (i) => i.resourceId === `canvas-assignment:${participation.id}`,
        ),
      ).then((item) => item!);
      const submission = await waitFor(
        'the score in Canvas',
        () =>
          sim.state.list(
            sim.state.submissions,
            (s) =>
              s.assignment_id === lineItem.assignmentId &&
              s.user_id === student.id &&
              s.score !== null,
          )[0],
      ).then((found) => found!);
      assert.equal(submission.score, 8);
      const deliveries = await waitFor('the delivery settled', async () => {
        const rows = await h.relay.store.db
          .selectFrom('deliveries')
          .select(['target', 'status', 'attempts'])
          .where('event_id', '=', event.id)
          .where('target', '=', 'canvas')
          .execute();
        return rows[0]?.status === 'delivered' ? rows : undefined;
      }).then((rows) => rows!);
      assert.equal(deliveries.length, 1);
      assert.equal([...lti.results.values()].filter((r) => r.lineItemId === lineItem.id).length, 1);
      // Canvas announced the tool's grade once (a second publish of another score would be another).
      await sim.sender.settle();
      const announced = sim.sender.log.filter(
        (r) =>
          r.event.metadata.event_name === 'grade_change' &&
          (r.event.body as { assignment_id?: string }).assignment_id ===
            globalId(lineItem.assignmentId),
      );
      assert.equal(announced.length, 1);
      // Sent again, the relay knows the event: nothing more reaches Canvas.
      const [again] = await h.send([event]);
      assert.equal(again!.status, 202);
      assert.equal(again!.body.results?.[0]?.status, 'duplicate');
      assert.equal([...lti.results.values()].filter((r) => r.lineItemId === lineItem.id).length, 1);
    });

    it('a page edited in the forum reaches the Canvas page through the relay (REST), once', async () => {
      const page = m.updateWikiPage(sim.state, {
        courseId: course.id,
        title: 'Week 3 reading',
        body: '<p>Chapter 3</p>',
      });
      const e = exampleEvent('content_edit', 3, { source: 'discourse', vv: { discourse: 1 } });
      const payload = {
        ...e.payload,
        origin: 'discourse',
        course_id: globalId(course.id),
        content_type: 'page',
        content_id: globalId(page.id),
        title: 'Week 3 reading (forum edit)',
        body_html: '<p>Chapter 3, with the forum notes</p>',
      };
      const edit = {
        ...e,
        key: `course:${globalId(course.id)}/page:${globalId(page.id)}`,
        payload,
      } as SyncEvent;
      const [sent] = await h.send([edit]);
      assert.equal(sent!.status, 202, JSON.stringify(sent!.body));
      await h.relay.workers!.runBackgroundBatch(); // content edits travel in the background tier
      await waitFor(
        'the page rewritten in Canvas',
        () => sim.state.wikiPages.get(page.id)!.body === '<p>Chapter 3, with the forum notes</p>',
      );
      assert.equal(sim.state.wikiPages.get(page.id)!.title, 'Week 3 reading (forum edit)');
      await waitFor('the delivery settled', async () => {
        const row = await h.relay.store.db
          .selectFrom('events')
          .select('state')
          .where('id', '=', edit.id)
          .executeTakeFirst();
        return row?.state === 'applied';
      });
      assert.equal(sim.state.list(sim.state.wikiPages, (p) => p.course_id === course.id).length, 1);
    });

    it('with Live Events down for a while, the poller finds the changes made meanwhile, once each', async () => {
      const late = m.createUser(sim.state, { name: 'Late Student' });
      sim.sender.stop();
      const suppressedBefore = sim.sender.counters.suppressed;
      m.enroll(sim.state, { courseId: course.id, userId: late.id, type: 'StudentEnrollment' });
      m.grade(sim.state, { assignmentId: essay.id, userId: late.id, posted_grade: '9' });
      m.grade(sim.state, { assignmentId: essay.id, userId: student.id, posted_grade: '5' });
      sim.sender.start();
      assert.ok(sim.sender.counters.suppressed - suppressedBefore >= 3);

      // The running poller (every 500 ms) back-fills them; nothing calls it here.
      await waitFor('the back-filled grades at the relay', async () => {
        const [lateScores, studentScores] = [
          await scores(gradeKey(essay.id, late.id)),
          await scores(gradeKey(essay.id)),
        ];
        return lateScores.length === 1 && studentScores.includes(5);
      });
      // More rounds find nothing new.
      await tool.poller!.pollOnce();
      await tool.poller!.pollOnce();
      await tool.sender.flush();
      assert.deepEqual(await scores(gradeKey(essay.id, late.id)), [9]);
      const [lateEvent] = await atRelay(gradeKey(essay.id, late.id));
      const done = await tool.outbox.list('done', 1000);
      assert.equal(done.find((r) => r.event.id === lateEvent!.id)?.origin, 'poller');
      assert.deepEqual(await scores(gradeKey(essay.id)), [5, 7]);
    });
  });
}

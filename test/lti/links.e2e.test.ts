// Issue 12, "Links", on the LTI tool's course page in a real headless Chromium: the Canvas
// simulator frames the tool, a real relay (Redis + SQLite: the links' SQL runs on both databases in
// test/relay/links-*.test.ts, the page's part does not depend on the dialect) writes to the
// Discourse simulator through its Discourse connector.
// - an instructor's first launch of an unlinked course links it: a new category and group, named
//   as the page shows them, appear in the Discourse simulator;
// - a grade and a certificate of an unlinked student wait ("pending: user not linked", on the
//   page), the student links their forum account through Discourse's User API key flow in a window
//   of its own (approving on the simulator's page), and both are applied in Discourse once;
// - refused, each with its message: a callback whose state was altered, one opened in another
//   person's browser, a forged payload, a course id from another course's launch.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { canvasToolConfiguration, createLtiTool, type LtiTool } from '@cds/lti-tool';
import {
  certificateKey,
  exampleEvent,
  signStatusToken,
  type CertificateV1,
  type SyncEvent,
} from '@cds/shared';
import { SYNC_STATE_FIELD } from '../../relay/src/connectors/discourse/mapping.js';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { createCourse, createUser, enroll } from '../sim/canvas/mutations.js';
import { globalId, type Course, type User } from '../sim/canvas/state.js';
import * as dm from '../sim/discourse/mutations.js';
import { startDiscourseSimulator, type DiscourseSimulator } from '../sim/discourse/server.js';
import { launchChromium, screenshot, type Browser, type Page } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';
import { grade } from './launch-grade.js';

/** Keys carry global Canvas ids, as Live Events and the poller make them. */
const SHARD = '2107';
const CALLBACK = '/lti/page/link/callback';

/** A certificate of `user` in `course` (shown in Discourse as a badge). */
function certificate(course: Course, user: User): SyncEvent {
  const e = exampleEvent('certificate', 7);
  const payload: CertificateV1 = {
    ...(e.payload as CertificateV1),
    course_id: globalId(course.id),
    user_id: globalId(user.id),
    certificate_id: `cert-bio-${user.id}`,
    title: 'Biology 101: certificate of completion',
  };
  return { ...e, key: certificateKey(payload), payload };
}

describe('links on the course page in Chromium (sqlite)', function () {
  this.timeout(120_000);
  let h: RelayHarness;
  let canvas: CanvasSimulator;
  let discourse: DiscourseSimulator;
  let tool: LtiTool;
  let browser: Browser;
  let toolUrl: string;
  let clientId: string;
  let course: Course;
  let other: Course;
  let teacher: User;
  let student: User;
  let classmate: User;
  let shared: { id: number; name: string };
  /** What the Discourse simulator took for Sam's account, in order. */
  const samWrites: string[] = [];

  before(async () => {
    discourse = await startDiscourseSimulator({ rateLimits: { adminApiPerMinute: 100_000 } });
    // What the plugin's register_editable_user_custom_field(:cds_sync_state, staff_only) does.
    discourse.state.editableUserCustomFields.staff.add(SYNC_STATE_FIELD);
    // A category an admin allows instructors to pick (LINK_ALLOWED_CATEGORIES).
    shared = dm.createCategory(discourse.state, { name: 'Life sciences forum' });
    h = await new RelayHarness({
      dialect: 'sqlite',
      // No external_id matches: Sam's account is linked only when Sam links it.
      env: {
        DISCOURSE_URL: discourse.url,
        DISCOURSE_API_KEY: discourse.apiKey,
        DISCOURSE_EXTERNAL_ID: 'none',
        LINK_ALLOWED_CATEGORIES: String(shared.id),
      },
    }).start();
    canvas = await startCanvasSimulator();
    const port = await freePort();
    toolUrl = `http://127.0.0.1:${port}`;
    // Discourse sends the browser back only to an allowed redirect (an admin's site setting).
    discourse.state.siteSettings.allowed_user_api_auth_redirects.push(`${toolUrl}${CALLBACK}*`);
    tool = await createLtiTool({
      key: 'e2e-lti-key-links-0123456789abcdef',
      databaseUrl: h.database.url,
      publicUrl: toolUrl,
      page: { relayUrl: h.url, signer: h.signer, shardId: SHARD },
      onError: (error) => process.stderr.write(`lti-tool: ${String(error)}\n`),
    });
    await tool.listen(port);
    const { registration, deployment } = canvas.lti!.installTool(
      canvasToolConfiguration(toolUrl) as unknown as Parameters<
        NonNullable<CanvasSimulator['lti']>['installTool']
      >[0],
    );
    clientId = registration.clientId;
    await tool.platforms.add({
      issuer: canvas.url,
      clientId,
      deploymentIds: [deployment.deploymentId],
      authUrl: `${canvas.url}/api/lti/authorize_redirect`,
      tokenUrl: `${canvas.url}/login/oauth2/token`,
      jwksUrl: `${canvas.url}/api/lti/security/jwks`,
    });
    course = createCourse(canvas.state, { name: 'Biology 101', course_code: 'BIO101' });
    other = createCourse(canvas.state, { name: 'Chemistry 201', course_code: 'CHEM201' });
    teacher = createUser(canvas.state, { name: 'Ada Teacher', email: 'ada@example.edu' });
    student = createUser(canvas.state, {
      name: 'Sam Student',
      email: 'sam@example.edu',
      sis_user_id: 'SIS-SAM-1',
    });
    classmate = createUser(canvas.state, { name: 'Olive Other', email: 'olive@example.edu' });
    enroll(canvas.state, { courseId: course.id, userId: teacher.id, type: 'TeacherEnrollment' });
    enroll(canvas.state, { courseId: other.id, userId: teacher.id, type: 'TeacherEnrollment' });
    enroll(canvas.state, { courseId: course.id, userId: student.id, type: 'StudentEnrollment' });
    enroll(canvas.state, { courseId: course.id, userId: classmate.id, type: 'StudentEnrollment' });
    // Sam's and Olive's forum accounts: no external_id, another e-mail than Canvas's.
    const sam = dm.createUser(discourse.state, { username: 'sam_forum', email: 'sam@forum.test' });
    dm.createUser(discourse.state, { username: 'olive_forum', email: 'olive@forum.test' });
    discourse.state.changes.on('change', (change) => {
      const userId =
        change.type === 'user_badge'
          ? discourse.state.userBadges.get(change.id)?.user_id
          : change.type === 'user'
            ? change.id
            : undefined;
      if (userId === sam.id) samWrites.push(change.event);
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await tool?.close();
    await canvas?.close();
    await h?.stop();
    await discourse?.close();
  });

  async function open(user: User, on = course) {
    // Tall: the course page frames the tool at 80% of the window, and screenshots show it all.
    const page = await browser.newPage({ viewport: { width: 1280, height: 2200 } });
    await page.goto(canvas.lti!.coursePageUrl({ courseId: on.id, clientId, userId: user.id }));
    const frame = (await waitFor('the tool in the course page', () =>
      page.frame({ name: 'tool_content' }),
    ))!;
    await frame.waitForSelector('#cds-page', { timeout: 20_000 });
    return { page, frame };
  }

  const eventState = async (id: string) =>
    (
      await h.relay.store.db
        .selectFrom('events')
        .select(['state', 'reason'])
        .where('id', '=', id)
        .executeTakeFirst()
    )?.state;

  it("links an unlinked course at its instructor's first launch: a new category and group in Discourse", async () => {
    const { page, frame } = await open(teacher);
    assert.equal(await frame.textContent('#cds-category'), 'not linked yet');
    assert.match(
      (await frame.textContent('#cds-course-link'))!,
      /Link this course to Discourse.*Biology 101 has no Discourse category yet/s,
    );
    assert.deepEqual(
      await frame.$$eval('#cds-pick option', (os) => os.map((o) => o.textContent)),
      ['Life sciences forum'],
      'the allowed category is offered',
    );
    await screenshot(page, 'links-1-instructor-unlinked');
    const categoriesBefore = discourse.state.categories.size;

    await frame.click('text=Create a category and group named "Biology 101"');
    await frame.waitForSelector(
      '#cds-notice:has-text("Biology 101 is linked to the Discourse category")',
    );
    await frame.waitForSelector('#cds-course-link[data-linked="yes"]');
    const categoryName = (await frame.textContent('#cds-category'))!;
    const groupName = (await frame.textContent('#cds-group'))!;
    assert.equal(categoryName, 'Biology 101');
    assert.ok(groupName.includes(globalId(course.id)), `the group ${groupName} names the course`);
    // In Discourse: one new category of that name, readable by the new group of that name.
    assert.equal(discourse.state.categories.size, categoriesBefore + 1);
    const category = [...discourse.state.categories.values()].find((c) => c.name === categoryName);
    const group = [...discourse.state.groups.values()].find((g) => g.name === groupName);
    assert.ok(category, `a category "${categoryName}" in Discourse`);
    assert.ok(group, `a group "${groupName}" in Discourse`);
    assert.equal(category.permissions[groupName], 1);
    const [link] = await h.relay.store.db.selectFrom('course_links').selectAll().execute();
    assert.deepEqual(
      [link?.course_id, link?.category_id, link?.group_id, link?.method],
      [globalId(course.id), category.id, group.id, 'created'],
    );
    // The roster is read again so the people enrolled before the link join the group.
    const syncs = await h.relay.store.db
      .selectFrom('events')
      .select('key')
      .where('entity', '=', 'sync_request')
      .execute();
    assert.deepEqual(
      syncs.map((e) => e.key),
      [`course:${globalId(course.id)}/sync:course`],
    );
    await screenshot(page, 'links-2-instructor-linked');

    // Later: the instructor changes the link to the allowed category, keeping the course's group.
    await frame.click('#cds-change-link summary');
    await frame.selectOption('#cds-pick', String(shared.id));
    await frame.click('text=Use this category');
    await frame.waitForSelector('#cds-category:has-text("Life sciences forum")');
    assert.equal(await frame.textContent('#cds-group'), groupName);
    const [changed] = await h.relay.store.db.selectFrom('course_links').selectAll().execute();
    assert.deepEqual(
      [changed?.category_id, changed?.group_id, changed?.method],
      [shared.id, group.id, 'picked'],
    );
    await page.close();
  });

  it("refuses a course id taken from another course's launch, saying why", async () => {
    // The instructor's page of Chemistry 201 names Biology 101 in its request: refused by the tool.
    const { page, frame } = await open(teacher, other);
    const refused = (await frame.evaluate(`(async () => {
      const { ltik } = JSON.parse(document.getElementById('cds-config').textContent);
      const response = await fetch('/lti/page/link/course', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + ltik, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ create: 'course', course_id: '${globalId(course.id)}' }),
      });
      return { status: response.status, body: await response.json() };
    })()`)) as { status: number; body: { error: { message: string } } };
    assert.equal(refused.status, 403);
    assert.match(
      refused.body.error.message,
      new RegExp(
        `acts on the course you opened it from in Canvas \\(Chemistry 201, course ${globalId(other.id)}\\) only; the course "${globalId(course.id)}" in the request is refused`,
      ),
    );
    // And by the relay: a course token of Chemistry 201's launch on Biology 101's link.
    const token = await signStatusToken(
      { course: globalId(other.id), role: 'instructor', user: globalId(teacher.id) },
      h.signer,
      { ttlSeconds: 60 },
    );
    const direct = await fetch(`${h.url}/v1/status/courses/${globalId(course.id)}/link`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(direct.status, 403);
    assert.match(
      ((await direct.json()) as { error: { message: string } }).error.message,
      new RegExp(`course ${globalId(other.id)}`),
    );
    assert.equal(
      (await h.relay.store.db.selectFrom('course_links').selectAll().execute()).length,
      1,
    );
    await page.close();
  });

  it('shows a student what waits for their link, then refuses an altered state, another browser and a forged payload', async () => {
    const held = [grade(course, student, 31, 8), certificate(course, student)];
    await h.send(held);
    for (const e of held)
      await waitFor(`${e.entity} waiting`, async () => (await eventState(e.id)) === 'waiting');

    const { page, frame } = await open(student);
    assert.match((await frame.textContent('#cds-me'))!, /Not linked/);
    assert.equal(await frame.$('#cds-course-link'), null, 'a student does not link the course');
    assert.match(
      (await frame.textContent('#cds-waiting'))!,
      /2 events: pending: user not linked \(.+\)/,
    );
    const rows = await frame.$$eval('#cds-recent tr[data-state="waiting"]', (trs) =>
      trs.map((tr) => tr.textContent ?? ''),
    );
    assert.equal(rows.length, 2);
    assert.ok(
      rows.every((r) => /waiting for a link/.test(r) && /pending: user not linked/.test(r)),
    );
    // The launch told the relay who Sam is: the id_token's sub and e-mail, the SIS and login ids.
    const identity = (await waitFor('the launch identity', () =>
      h.relay.store.db
        .selectFrom('canvas_identities')
        .selectAll()
        .where('canvas_user_id', '=', globalId(student.id))
        .executeTakeFirst(),
    ))!;
    assert.deepEqual(
      [identity.lti_sub, identity.email, identity.sis_user_id, identity.login_id],
      [student.lti_id, 'sam@example.edu', 'SIS-SAM-1', 'sam@example.edu'],
    );
    await screenshot(page, 'links-3-student-waiting');

    // Discourse's approval page opens in a window of its own.
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      frame.click('text=Link my forum account'),
    ]);
    await popup.waitForSelector('h1:has-text("is asking for access to your account")');
    const callback = new URL(new URL(popup.url()).searchParams.get('auth_redirect')!);
    assert.equal(`${callback.origin}${callback.pathname}`, `${toolUrl}${CALLBACK}`);
    const state = callback.searchParams.get('state')!;
    const forged = randomBytes(256).toString('base64');
    const at = (s: string, payload = forged) =>
      `${toolUrl}${CALLBACK}?state=${encodeURIComponent(s)}&payload=${encodeURIComponent(payload)}`;
    const refusal = async (p: Page, url: string) => {
      const response = await p.goto(url);
      await p.waitForSelector('#cds-link-result[data-ok="no"]');
      return { status: response!.status(), text: (await p.textContent('#cds-link-message'))! };
    };

    // An altered state (another user slipped in): the tool's signature does not match.
    const [body, mac] = state.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      user: string;
    };
    const altered = Buffer.from(JSON.stringify({ ...claims, user: globalId(classmate.id) }))
      .toString('base64url')
      .concat('.', mac);
    const tampered = await refusal(popup, at(altered));
    assert.equal(tampered.status, 400);
    assert.match(tampered.text, /altered or not made by this tool, so nothing was linked/);

    // Sam's own state, opened in Olive's browser (no cookie from Sam's start): refused.
    const olive = await browser.newContext();
    const elsewhere = await refusal(await olive.newPage(), at(state));
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.text, /started in another browser/);
    await olive.close();

    // A forged payload with Sam's own state, in Sam's browser: the relay refuses it.
    const forgedAnswer = await refusal(popup, at(state));
    assert.equal(forgedAnswer.status, 400);
    assert.match(forgedAnswer.text, /not made for your link request/);
    await screenshot(popup, 'links-4-forged-callback');
    await popup.close();
    assert.equal((await h.relay.store.db.selectFrom('user_links').selectAll().execute()).length, 0);
    for (const e of held) assert.equal(await eventState(e.id), 'waiting');
    await page.close();
  });

  it("links the student's forum account through the User API key flow and applies what waited, once", async () => {
    const { page, frame } = await open(student);
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      frame.click('text=Link my forum account'),
    ]);
    await popup.waitForSelector('h1:has-text("is asking for access to your account")');
    await screenshot(popup, 'links-5-discourse-approval');
    // Sam is signed in to Discourse in this browser: the simulator takes its admin key with
    // Api-Username as that session (it has no cookie sessions), on its own requests only.
    const discourseOrigin = new URL(discourse.url).origin;
    await popup.route(
      (url) => url.origin === discourseOrigin,
      (route) =>
        route.continue({
          headers: {
            ...route.request().headers(),
            'api-key': discourse.apiKey,
            'api-username': 'sam_forum',
          },
        }),
    );
    await popup.click('text=Authorize');
    await popup.waitForSelector('#cds-link-result[data-ok="yes"]');
    assert.ok(popup.url().startsWith(`${toolUrl}${CALLBACK}?`));
    assert.match(
      (await popup.textContent('#cds-link-message'))!,
      /Your Canvas account is linked to the Discourse account @sam_forum\. Your grades, submissions and certificates in Biology 101 now sync to it/,
    );
    await screenshot(popup, 'links-6-linked');
    await popup.close();

    const [link] = await h.relay.store.db.selectFrom('user_links').selectAll().execute();
    assert.deepEqual(
      [link?.canvas_user_id, link?.discourse_username, link?.method],
      [globalId(student.id), 'sam_forum', 'self_service'],
    );
    const sam = discourse.state.userByUsername('sam_forum')!;
    await waitFor(
      'the grade and the badge in Discourse',
      () => samWrites.includes('user_badge_granted') && samWrites.includes('user_updated'),
    );
    const samsEvents = () =>
      h.relay.store.db
        .selectFrom('events')
        .select(['entity', 'state'])
        .where('key', 'like', `course:${globalId(course.id)}/user:${globalId(student.id)}/%`)
        .orderBy('entity')
        .execute();
    await waitFor('both applied', async () =>
      (await samsEvents()).every((r) => r.state === 'applied'),
    );
    assert.deepEqual(await samsEvents(), [
      { entity: 'certificate', state: 'applied' },
      { entity: 'grade', state: 'applied' },
    ]);
    // Once: one badge grant, one sync-state write, and the grade's sync state on Sam's account.
    assert.deepEqual(samWrites.filter((w) => w === 'user_badge_granted').length, 1);
    assert.deepEqual(samWrites.filter((w) => w === 'user_updated').length, 1);
    assert.equal(
      [...discourse.state.userBadges.values()].filter((ub) => ub.user_id === sam.id).length,
      1,
    );
    const syncState = JSON.parse(sam.custom_fields![SYNC_STATE_FIELD]!) as { key: string };
    assert.equal(
      syncState.key,
      `course:${globalId(course.id)}/user:${globalId(student.id)}/assignment:31`,
    );

    // Back on the course page (its window has the focus again): the link, and nothing waiting.
    await frame.evaluate('window.dispatchEvent(new Event("focus"))');
    await frame.waitForSelector('#cds-my-link[data-linked="yes"]');
    assert.match(
      (await frame.textContent('#cds-me'))!,
      /Linked as @sam_forum \(you linked it yourself/,
    );
    await frame.waitForSelector('#cds-waiting', { state: 'detached' });
    await screenshot(page, 'links-7-student-linked');

    // A student sees and can remove their own link; the relay says what stops.
    await frame.click('text=Remove link');
    await frame.waitForSelector(
      '#cds-notice:has-text("no longer linked to @sam_forum: your grades and badges stop syncing")',
    );
    await frame.waitForSelector('#cds-my-link[data-linked="no"]');
    assert.equal((await h.relay.store.db.selectFrom('user_links').selectAll().execute()).length, 0);
    await page.close();
  });
});

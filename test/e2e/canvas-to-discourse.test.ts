// Both platforms end to end (issues 11 and 12): the Canvas simulator, the LTI tool, a real relay
// (Redis + SQLite) with its Discourse connector, and the Discourse simulator with its webhook to the
// relay. A course linked to a new category and group; a certificate issued in Canvas becomes a
// badge in Discourse once; a forum post in the course's category becomes, after the background
// batch, a participation score in Canvas (one score per student, not one write per post).
import assert from 'node:assert/strict';
import {
  loadLtiSettings,
  startLtiTool,
  canvasToolConfiguration,
  type RunningLtiTool,
} from '@cds/lti-tool';
import * as cm from '../sim/canvas/mutations.js';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { globalId, type Course, type User } from '../sim/canvas/state.js';
import * as dm from '../sim/discourse/mutations.js';
import { startDiscourseSimulator, type DiscourseSimulator } from '../sim/discourse/server.js';
import type { DiscourseUser } from '../sim/discourse/state.js';
import { webhookToRelay } from '../relay/discourse-webhook-to-relay.js';
import { freePort } from '../support/ports.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'e2e-webhook-secret-0123456789';
const quiet = { info: () => undefined, warn: () => undefined };

describe('Canvas and Discourse through the relay (sqlite)', function () {
  this.timeout(90_000);
  let canvas: CanvasSimulator;
  let discourse: DiscourseSimulator;
  let h: RelayHarness;
  let tool: RunningLtiTool;
  let course: Course;
  let student: User;
  let forumStudent: DiscourseUser;
  let categoryId: number;

  before(async () => {
    canvas = await startCanvasSimulator({ liveEvents: { retryBaseMs: 10, timeoutMs: 5000 } });
    discourse = await startDiscourseSimulator({ webhooks: { minuteMs: 5 } });
    course = cm.createCourse(canvas.state, { name: 'Forum 101', course_code: 'F101' });
    student = cm.createUser(canvas.state, { name: 'Fran Forum' });
    cm.enroll(canvas.state, { courseId: course.id, userId: student.id, type: 'StudentEnrollment' });
    const admin = cm.createUser(canvas.state, { name: 'Api Admin' });
    canvas.state.accountAdmins.add(admin.id);
    // The school's identity provider gives Discourse the Canvas user id as external_id.
    forumStudent = dm.createUser(discourse.state, {
      username: 'fran',
      external_id: globalId(student.id),
    });

    const port = await freePort();
    const toolUrl = `http://127.0.0.1:${port}`;
    h = await new RelayHarness({
      dialect: 'sqlite',
      env: {
        CANVAS_DELIVERY_URL: `${toolUrl}/v1/deliveries`,
        DISCOURSE_URL: discourse.url,
        DISCOURSE_API_KEY: discourse.apiKey,
        DISCOURSE_WEBHOOK_SECRET: SECRET,
      },
    }).start();
    tool = await startLtiTool({
      settings: loadLtiSettings({
        LTI_KEY: 'e2e-lti-key-0123456789abcdef',
        DATABASE_URL: h.database.url,
        LTI_PORT: String(port),
        LTI_PUBLIC_URL: toolUrl,
        RELAY_URL: h.url,
        CANVAS_URL: canvas.url,
        CANVAS_API_TOKEN: cm.issueAccessToken(canvas.state, admin.id),
        CANVAS_LIVE_EVENTS_JWKS_URL: canvas.liveEventsJwksUrl,
        CANVAS_CERTIFICATE_COURSES: String(course.id),
      }),
      store: h.relay.store,
      signer: h.signer,
      log: quiet,
      onError: (error) => process.stderr.write(`lti-tool: ${String(error)}\n`),
      tuning: { sender: { idleMs: 100, backoffMs: 20, maxBackoffMs: 200 }, jwksCooldownMs: 0 },
    });
    await tool.listen(port);
    const lti = canvas.lti!;
    const { registration, deployment } = lti.installTool(
      canvasToolConfiguration(toolUrl) as unknown as Parameters<typeof lti.installTool>[0],
    );
    await tool.tool.platforms.add({
      issuer: canvas.url,
      clientId: registration.clientId,
      deploymentIds: [deployment.deploymentId],
      authUrl: `${canvas.url}/api/lti/authorize_redirect`,
      tokenUrl: `${canvas.url}/login/oauth2/token`,
      jwksUrl: `${canvas.url}/api/lti/security/jwks`,
    });
    canvas.sender.subscribe({ url: `${toolUrl}/v1/intake/canvas`, signPayload: true });
    await webhookToRelay(discourse, h.url, SECRET);

    // The course's forum, as an admin (or its instructor, from the LTI page) links it.
    const linked = await fetch(`${h.url}/v1/status/courses/${globalId(course.id)}/link`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${h.env.RELAY_ADMIN_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ create: { name: course.name } }),
    });
    const body = (await linked.json()) as { link: { category_id: number; group_name: string } };
    assert.equal(linked.status, 200, JSON.stringify(body));
    categoryId = body.link.category_id;
    assert.equal(discourse.state.categories.get(categoryId)?.name, 'Forum 101');
  });

  after(async () => {
    await tool?.close();
    await canvas?.close();
    await discourse?.close();
    await h?.stop();
  });

  it('a certificate issued in Canvas becomes a badge in Discourse, once', async () => {
    cm.completeCourse(canvas.state, { courseId: course.id, userId: student.id });
    await canvas.sender.settle();
    const badgesOf = () =>
      discourse.state.list(discourse.state.userBadges, (ub) => ub.user_id === forumStudent.id);
    const granted = await waitFor('the badge in Discourse', () => {
      const found = badgesOf();
      return found.length >= 2 ? found : undefined; // the certificate and the completion
    }).then((found) => found!);
    const names = granted.map((ub) => discourse.state.badges.get(ub.badge_id)!.name).sort();
    assert.ok(
      names.some((n) => n.startsWith('Completed Forum 101')),
      names.join(', '),
    );
    // The relay linked the account by its external id, and says so in the audit log.
    const link = await h.relay.store.db
      .selectFrom('user_links')
      .selectAll()
      .where('canvas_user_id', '=', globalId(student.id))
      .executeTakeFirst();
    assert.equal(link?.method, 'external_id');
    assert.equal(link?.discourse_username, 'fran');
    // Canvas announcing the completion again changes nothing in Discourse.
    cm.completeCourse(canvas.state, { courseId: course.id, userId: student.id });
    await canvas.sender.settle();
    await tool.sender.flush();
    await waitFor('the repeat settled', async () => {
      const busy = await h.relay.store.db
        .selectFrom('events')
        .select('id')
        .where('state', 'in', ['accepted', 'delivering'])
        .execute();
      return busy.length === 0;
    });
    assert.equal(badgesOf().length, granted.length);
  });

  it('forum posts become one participation score in Canvas after the background batch', async () => {
    const topic = dm.createPost(discourse.state, {
      userId: forumStudent.id,
      title: 'Week 1: loop invariants',
      raw: 'I think the loop invariant holds because the index only grows.',
      categoryId,
    });
    dm.createPost(discourse.state, {
      userId: forumStudent.id,
      topicId: topic.topic_id,
      raw: 'And it never passes n, so the loop ends: that is the variant.',
    });
    await discourse.webhooks.settle();
    const posts = await h.relay.store.db
      .selectFrom('events')
      .select(['id', 'state'])
      .where('entity', '=', 'forum_post')
      .execute();
    assert.equal(posts.length, 2, 'both posts logged');
    await h.relay.workers!.runBackgroundBatch();
    const store = canvas.lti!.store;
    const lineItem = await waitFor('the participation line item', () =>
      [...store.lineItems.values()].find((i) => i.resourceId === 'forum-participation'),
    ).then((found) => found!);
    const results = await waitFor('the participation score', () => {
      const found = [...store.results.values()].filter((r) => r.lineItemId === lineItem.id);
      return found.length > 0 ? found : undefined;
    }).then((found) => found!);
    assert.equal(results.length, 1, 'one score for the student, not one per post');
    const submission = canvas.state.list(
      canvas.state.submissions,
      (s) => s.assignment_id === lineItem.assignmentId && s.user_id === student.id,
    )[0];
    assert.equal(submission?.score, 2, 'two posts counted');
  });
});

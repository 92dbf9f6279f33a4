import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { exampleEvent, signStatusToken, type SyncEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

// The Discourse plugin's status tokens (issue 11): the relay admits them with
// DISCOURSE_TOKEN_SECRET and scopes them by the user's Discourse role (relay/src/status/scope.ts):
// an admin reads and acts like the admin token, a moderator reads forum posts, profiles and
// badges, anyone else nothing yet; course tokens and the admin token behave as before.

const SECRET = 'discourse-token-secret-0123456789-abcdef';
const TEACHER = '21070000000000987';
const STUDENT = '21070000000020001';

type Role = 'admin' | 'moderator' | 'user';

/** A token as the plugin's TokenMinter makes it (the byte-level agreement is the vector's test). */
function pluginToken(
  role: Role,
  options: { secret?: string; ageSeconds?: number; categories?: number[] } = {},
): string {
  const iat = Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    iss: 'https://forum.school.example.edu',
    aud: 'cds-relay',
    sub: '1042',
    username: `${role}_mia`,
    role,
    groups: role === 'user' ? ['trust_level_1'] : ['staff'],
    categories: options.categories ?? [],
    iat,
    exp: iat + 600,
  };
  const input = `${b64({ alg: 'HS256', typ: 'cds-discourse+jwt' })}.${b64(claims)}`;
  const signature = createHmac('sha256', options.secret ?? SECRET)
    .update(input)
    .digest('base64url');
  return `${input}.${signature}`;
}

/** A grade of the student in course 565, as the LTI tool would send it. */
function grade(seq: number): SyncEvent {
  const event = exampleEvent('grade', seq);
  const payload = { ...event.payload, course_id: '565', user_id: STUDENT };
  return {
    ...event,
    payload,
    key: `course:565/user:${STUDENT}/assignment:${String(event.payload.assignment_id)}`,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`status API with Discourse plugin tokens (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    const post = exampleEvent('forum_post', 1);
    const profile = exampleEvent('profile', 2);
    const badge = exampleEvent('badge', 2);
    const courseGrade = grade(3);

    const call = async (path: string, bearer: string, method = 'GET') => {
      const response = await fetch(`${h.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}` },
      });
      const body = (await response.json()) as Record<string, unknown>;
      return {
        status: response.status,
        body,
        message: (body.error as { message: string } | undefined)?.message ?? '',
        challenge: response.headers.get('www-authenticate'),
      };
    };
    const entity = (key: string, bearer: string) =>
      call(`/v1/status/entities?key=${encodeURIComponent(key)}`, bearer);

    before(async () => {
      h = await new RelayHarness({ dialect, env: { DISCOURSE_TOKEN_SECRET: SECRET } }).start();
      await h.send([post, profile, badge, courseGrade]);
      await waitFor('all four logged', async () => {
        const states = await h.eventStates();
        return Object.values(states).reduce((a, b) => a + b, 0) === 4;
      });
    });
    after(async () => {
      await h?.stop();
    });

    it('lets a Discourse admin read everything the admin token reads, the summary included', async () => {
      const admin = pluginToken('admin');
      assert.equal((await call('/v1/status/summary', admin)).status, 200);
      const course = await call('/v1/status/courses/565', admin);
      assert.equal(course.status, 200);
      assert.deepEqual(
        (course.body.recent as Array<{ id: string }>).map((e) => e.id),
        [courseGrade.id],
      );
      for (const event of [post, profile, badge, courseGrade])
        assert.equal((await call(`/v1/status/events/${event.id}`, admin)).status, 200);
      const metrics = await fetch(`${h.url}/metrics`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      assert.equal(metrics.status, 401, 'metrics stay with RELAY_ADMIN_TOKEN');
    });

    it('lets a moderator read forum posts, profiles and badges, and not a course', async () => {
      const moderator = pluginToken('moderator');
      assert.equal((await entity(post.key, moderator)).status, 200);
      assert.equal((await entity(profile.key, moderator)).status, 200);
      assert.equal((await entity(badge.key, moderator)).status, 200);
      const gradeEntity = await entity(courseGrade.key, moderator);
      assert.equal(gradeEntity.status, 403);
      assert.match(
        gradeEntity.message,
        /your Discourse token \(moderator_mia, moderator: forum posts, profiles, badges and the courses of the categories you moderate\) does not cover entity course:565/,
      );
      assert.equal((await call(`/v1/status/events/${courseGrade.id}`, moderator)).status, 404);
      const course = await call('/v1/status/courses/565', moderator);
      assert.equal(course.status, 403);
      assert.match(course.message, /does not cover course 565/);
      const summary = await call('/v1/status/summary', moderator);
      assert.equal(summary.status, 403);
      assert.match(summary.message, /needs the admin token or a Discourse admin's token/);
    });

    it('shows a plain forum user nothing until their account is linked', async () => {
      const user = pluginToken('user');
      const forum = await entity(post.key, user);
      assert.equal(forum.status, 403);
      assert.match(
        forum.message,
        /your Discourse token \(user_mia: the courses of the categories you moderate, none linked\)/,
      );
      assert.equal((await call(`/v1/status/events/${post.id}`, user)).status, 404);
    });

    it("lets a category's moderators read the course linked to it, and no other", async () => {
      const course = (token: string) => call('/v1/status/courses/565', token);
      const groupModerator = pluginToken('user', { categories: [77] });
      assert.equal((await course(groupModerator)).status, 403, 'category 77 is not linked yet');
      await h.relay.store.db
        .insertInto('course_links')
        .values({
          course_id: '565',
          category_id: 77,
          category_name: 'CS 565',
          group_name: 'course-565',
          group_id: 41,
          method: 'admin',
          made_by: 'test',
          created_at: Date.now(),
        })
        .execute();
      const linked = await course(groupModerator);
      assert.equal(linked.status, 200, linked.message);
      assert.deepEqual(
        (linked.body.recent as Array<{ id: string }>).map((e) => e.id),
        [courseGrade.id],
      );
      assert.equal((await call(`/v1/status/events/${courseGrade.id}`, groupModerator)).status, 200);
      const categoryLink = await call('/v1/status/categories/77/link', groupModerator);
      assert.equal(categoryLink.status, 200, categoryLink.message);
      assert.equal((categoryLink.body.link as { course_id: string }).course_id, '565');
      const elsewhere = await call(
        '/v1/status/categories/77/link',
        pluginToken('user', { categories: [78] }),
      );
      assert.equal(elsewhere.status, 404);
      assert.match(elsewhere.message, /not linked to a Canvas course that you moderate/);
      const unlinked = await call('/v1/status/categories/79/link', pluginToken('admin'));
      assert.equal(unlinked.status, 404);
      assert.match(unlinked.message, /^Discourse category 79 is not linked to a Canvas course$/);
      const malformed = await call('/v1/status/categories/abc/link', pluginToken('admin'));
      assert.equal(malformed.status, 400);
      assert.match(malformed.message, /"category" must be a Discourse category id/);
      const moderator = pluginToken('moderator', { categories: [77] });
      assert.equal((await course(moderator)).status, 200);
      // The category's moderators read; acting stays with instructors and site staff.
      assert.equal((await entity(post.key, groupModerator)).status, 403);
      const other = await call('/v1/status/courses/566', groupModerator);
      assert.equal(other.status, 403);
      assert.match(
        other.message,
        /the courses of the categories you moderate, 565\) does not cover course 566/,
      );
    });

    it('refuses an expired token and one signed with another secret, saying why', async () => {
      const late = await call('/v1/status/summary', pluginToken('admin', { ageSeconds: 3_600 }));
      assert.equal(late.status, 401);
      assert.match(late.message, /^Discourse token refused: token expired at /);
      assert.match(late.challenge ?? '', /error="invalid_token"/);
      const forged = await call(
        '/v1/status/summary',
        pluginToken('admin', { secret: 'another-secret-0123456789-0123456789' }),
      );
      assert.equal(forged.status, 401);
      assert.match(forged.message, /bad signature/);
    });

    it('keeps course tokens and the admin token as they were', async () => {
      const instructor = await signStatusToken(
        { course: '565', role: 'instructor', user: TEACHER },
        h.signer,
      );
      assert.equal((await call('/v1/status/courses/565', instructor)).status, 200);
      assert.equal((await call(`/v1/status/events/${post.id}`, instructor)).status, 404);
      assert.equal((await call('/v1/status/summary', 'test-admin-token-0123456789')).status, 200);
    });

    it('lets a Discourse admin replay a dead letter, audited under their name; not a forum user', async () => {
      const refused = grade(8);
      h.target.refuse.set(refused.id, 'assignment is closed');
      await h.send([refused]);
      await waitFor('dead-lettered', async () => (await h.eventStates()).dead === 1);
      const path = `/v1/status/dead-letters/${refused.id}/replay`;
      assert.equal((await call(path, pluginToken('user'), 'POST')).status, 404);
      assert.equal((await call(path, pluginToken('moderator'), 'POST')).status, 404);
      h.target.refuse.delete(refused.id);
      const replayed = await call(path, pluginToken('admin'), 'POST');
      assert.equal(replayed.status, 202);
      const audit = await h.relay.store.db
        .selectFrom('audit')
        .select('actor')
        .where('action', '=', 'dlq.replayed')
        .executeTakeFirst();
      assert.equal(audit?.actor, 'discourse:admin_mia#1042');
    });
  });
}

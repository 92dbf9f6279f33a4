import assert from 'node:assert/strict';
import * as m from './mutations.js';
import { conformance, responseSchema } from './openapi.js';
import { startDiscourseSimulator, type DiscourseSimulator } from './server.js';

describe('Discourse simulator REST API', () => {
  let sim: DiscourseSimulator;
  const api = (path: string, init: RequestInit & { username?: string; key?: string } = {}) =>
    fetch(`${sim.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        'Api-Key': init.key ?? sim.apiKey,
        'Api-Username': init.username ?? 'system',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

  beforeEach(async () => {
    sim = await startDiscourseSimulator();
  });
  afterEach(() => sim.close());

  /** Asserts a 200 whose body conforms to the OpenAPI response schema of `method docPath`. */
  async function conforms(res: Response, docPath: string, method: string) {
    assert.equal(res.status, 200, await res.clone().text());
    const body: unknown = await res.json();
    assert.deepEqual(conformance(body, responseSchema(docPath, method)), []);
    return body as Record<string, unknown>;
  }

  describe('answers shaped as the OpenAPI document describes them', () => {
    let topicId: number;
    let postId: number;
    let groupId: number;
    let badgeId: number;

    beforeEach(async () => {
      const ada = m.createUser(sim.state, {
        username: 'ada',
        name: 'Ada',
        external_id: 'canvas-7',
      });
      m.createUser(sim.state, { username: 'bob', name: 'Bob' });
      const cat = await conforms(
        await api('/categories.json', {
          method: 'POST',
          body: JSON.stringify({ name: 'Chemistry 101' }),
        }),
        '/categories.json',
        'post',
      );
      const created = await conforms(
        await api('/posts.json', {
          method: 'POST',
          username: 'ada',
          body: JSON.stringify({
            title: 'Welcome to the course forum',
            raw: 'Introduce yourselves here, please.',
            category: (cat.category as { id: number }).id,
          }),
        }),
        '/posts.json',
        'post',
      );
      topicId = created.topic_id as number;
      postId = created.id as number;
      const group = await conforms(
        await api('/admin/groups.json', {
          method: 'POST',
          body: JSON.stringify({ group: { name: 'chem101' } }),
        }),
        '/admin/groups.json',
        'post',
      );
      groupId = (group.basic_group as { id: number }).id;
      const badge = await conforms(
        await api('/admin/badges.json', {
          method: 'POST',
          body: JSON.stringify({ name: 'Chemistry certificate', badge_type_id: 3 }),
        }),
        '/admin/badges.json',
        'post',
      );
      badgeId = (badge.badge as { id: number }).id;
      assert.ok(ada.id > 0);
    });

    it('serves users by username and by external id', async () => {
      const byName = await conforms(await api('/u/ada.json'), '/u/{username}.json', 'get');
      const byExt = await conforms(
        await api('/u/by-external/canvas-7.json'),
        '/u/by-external/{external_id}.json',
        'get',
      );
      assert.equal((byExt.user as { id: number }).id, (byName.user as { id: number }).id);
      const put = await conforms(
        await api('/u/ada.json', { method: 'PUT', body: JSON.stringify({ name: 'Ada L.' }) }),
        '/u/{username}.json',
        'put',
      );
      assert.equal(put.success, 'OK');
      assert.equal(sim.state.userByUsername('ada')!.name, 'Ada L.');
    });

    it('serves groups and their membership changes', async () => {
      const add = await conforms(
        await api(`/groups/${groupId}/members.json`, {
          method: 'PUT',
          body: JSON.stringify({ usernames: 'ada,bob' }),
        }),
        '/groups/{id}/members.json',
        'put',
      );
      assert.deepEqual(add.usernames, ['ada', 'bob']);
      const show = await conforms(await api('/groups/chem101.json'), '/groups/{name}.json', 'get');
      assert.equal((show.group as { user_count: number }).user_count, 2);
      const del = await conforms(
        await api(`/groups/${groupId}/members.json`, {
          method: 'DELETE',
          body: JSON.stringify({ usernames: 'bob,nobody' }),
        }),
        '/groups/{id}/members.json',
        'delete',
      );
      assert.deepEqual([del.usernames, del.skipped_usernames], [['bob'], ['nobody']]);
    });

    it('serves badges, grants once and revokes', async () => {
      const grant = () =>
        api('/user_badges.json', {
          method: 'POST',
          body: JSON.stringify({
            username: 'ada',
            badge_id: badgeId,
            reason: `${sim.url}/t/welcome/${topicId}`,
          }),
        });
      const first = await json(await grant());
      const second = await json(await grant());
      assert.equal(
        (first.user_badge as { id: number }).id,
        (second.user_badge as { id: number }).id,
      );
      await conforms(await api('/admin/badges.json'), '/admin/badges.json', 'get');
      const list = await conforms(
        await api('/user-badges/ada.json'),
        '/user-badges/{username}.json',
        'get',
      );
      assert.equal((list.user_badges as unknown[]).length, 1);
      const revoke = await api(`/user_badges/${(first.user_badge as { id: number }).id}.json`, {
        method: 'DELETE',
      });
      assert.equal(revoke.status, 200);
      assert.equal(sim.state.userBadges.size, 0);
    });

    it('refuses a grant whose reason is not a post or topic link', async () => {
      const res = await api('/user_badges.json', {
        method: 'POST',
        body: JSON.stringify({
          username: 'ada',
          badge_id: badgeId,
          reason: 'completed the course',
        }),
      });
      assert.equal(res.status, 400);
      assert.equal(sim.state.userBadges.size, 0);
    });

    it('serves categories, topics, posts, edits, the latest posts and deletes', async () => {
      await conforms(await api('/categories.json'), '/categories.json', 'get');
      const reply = await json(
        await api('/posts.json', {
          method: 'POST',
          username: 'bob',
          body: JSON.stringify({ topic_id: topicId, raw: 'Hello, I am Bob from the lab.' }),
        }),
      );
      assert.equal(reply.post_number, 2);
      const edited = await conforms(
        await api(`/posts/${postId}.json`, {
          method: 'PUT',
          username: 'ada',
          body: JSON.stringify({
            post: { raw: 'Introduce yourselves here, everyone.', edit_reason: 'typo' },
          }),
        }),
        '/posts/{id}.json',
        'put',
      );
      assert.equal((edited.post as { version: number }).version, 2);
      await conforms(await api(`/posts/${postId}.json`), '/posts/{id}.json', 'get');
      const topic = await conforms(await api(`/t/${topicId}.json`), '/t/{id}.json', 'get');
      assert.equal(topic.posts_count, 2);
      const latest = await conforms(await api('/posts.json'), '/posts.json', 'get');
      assert.deepEqual(
        (latest.latest_posts as Array<{ id: number }>).map((p) => p.id),
        [reply.id, postId],
      );
      assert.equal(
        (await api(`/posts/${reply.id as number}.json`, { method: 'DELETE' })).status,
        200,
      );
      assert.equal((await api(`/posts/${reply.id as number}.json`)).status, 404);
    });

    it('lists users for reconciliation', async () => {
      const res = await api(
        '/admin/users/list/active.json?order=created&asc=true&show_emails=true',
      );
      const list = (await conforms(
        res,
        '/admin/users/list/{flag}.json',
        'get',
      )) as unknown as Array<{ username: string }>;
      assert.deepEqual(
        list.map((u) => u.username),
        ['system', 'ada', 'bob'],
      );
    });
  });

  describe('errors as Discourse sends them', () => {
    it('answers a bad key 403 invalid_access with the API credentials message', async () => {
      const res = await api('/u/system.json', { key: 'not-a-key' });
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), {
        errors: [
          'You are not permitted to view the requested resource. The API username or key is invalid.',
        ],
        error_type: 'invalid_access',
      });
    });

    it('answers an unknown Api-Username and a key bound to another user the same way', async () => {
      assert.equal((await api('/u/system.json', { username: 'ghost' })).status, 403);
      m.createUser(sim.state, { username: 'carol' });
      const bound = sim.state.issueApiKey(sim.state.userByUsername('carol')!.id);
      assert.equal((await api('/u/system.json', { key: bound, username: 'system' })).status, 403);
      assert.equal((await api('/u/system.json', { key: bound, username: 'carol' })).status, 200);
    });

    it('refuses admin endpoints to non-admins and writes to anonymous callers', async () => {
      m.createUser(sim.state, { username: 'dave' });
      const res = await api('/admin/badges.json', { username: 'dave' });
      assert.equal(res.status, 403);
      assert.equal((await json(res)).error_type, 'invalid_access');
      const anon = await fetch(`${sim.url}/posts.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ raw: 'x' }),
      });
      assert.deepEqual(await anon.json(), {
        errors: ['You need to be logged in to do that.'],
        error_type: 'not_logged_in',
      });
    });

    it('answers 404 not_found, 400 for a missing parameter and 422 for a too-short title', async () => {
      const missing = await api('/t/9999.json');
      assert.equal(missing.status, 404);
      assert.deepEqual(await missing.json(), {
        errors: ['The requested URL or resource could not be found.'],
        error_type: 'not_found',
      });
      const noRaw = await api('/posts.json', {
        method: 'POST',
        body: JSON.stringify({ title: 'x' }),
      });
      assert.equal(noRaw.status, 400);
      assert.equal((await json(noRaw)).error_type, 'invalid_parameters');
      const short = await api('/posts.json', {
        method: 'POST',
        body: JSON.stringify({ title: 'Hi', raw: 'A long enough body for a topic.' }),
      });
      assert.equal(short.status, 422);
      assert.deepEqual((await json(short)).errors, [
        'Title is too short (minimum is 15 characters)',
      ]);
    });

    it('rate limits an admin key with 429, Retry-After and extras.wait_seconds', async () => {
      await sim.close();
      sim = await startDiscourseSimulator({ rateLimits: { adminApiPerMinute: 3 } });
      for (let i = 0; i < 3; i++) assert.equal((await api('/u/system.json')).status, 200);
      const res = await api('/u/system.json');
      assert.equal(res.status, 429);
      const wait = Number(res.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
      assert.equal(res.headers.get('discourse-rate-limit-error-code'), 'admin_api_key_rate_limit');
      assert.deepEqual(await res.json(), {
        errors: [
          `You’ve performed this action too many times. Please wait ${wait} seconds before trying again.`,
        ],
        error_type: 'rate_limit',
        extras: { wait_seconds: wait },
      });
    });
  });
});

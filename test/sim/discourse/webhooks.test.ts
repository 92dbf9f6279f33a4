import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as m from './mutations.js';
import { referenceTopicPayloadKeys } from './openapi.js';
import { startDiscourseSimulator, type DiscourseSimulator } from './server.js';
import { WEB_HOOK_EVENT_TYPES } from './state.js';
import { WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'a-webhook-secret-of-some-length';

describe('Discourse simulator webhooks', () => {
  let sim: DiscourseSimulator;
  let receiver: WebhookReceiver;
  let payloadUrl: string;

  const admin = (path: string, method: string, body?: unknown) =>
    fetch(`${sim.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'Api-Key': sim.apiKey,
        'Api-Username': 'system',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function createWebHook(extra: Record<string, unknown> = {}) {
    const res = await admin('/admin/api/web_hooks.json', 'POST', {
      web_hook: {
        payload_url: payloadUrl,
        content_type: 1,
        secret: SECRET,
        active: true,
        wildcard_web_hook: true,
        ...extra,
      },
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { web_hook: { id: number } }).web_hook;
  }

  beforeEach(async () => {
    sim = await startDiscourseSimulator({ webhooks: { minuteMs: 5 } });
    receiver = new WebhookReceiver();
    payloadUrl = await receiver.start();
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  function verify(body: string, signature: string | string[] | undefined): boolean {
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    );
    const got = Buffer.from(String(signature));
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  it('manages webhooks through the admin API with Discourse validations', async () => {
    const bad = await admin('/admin/api/web_hooks.json', 'POST', {
      web_hook: { payload_url: 'not a url', secret: 'short', content_type: 1 },
    });
    assert.equal(bad.status, 422);
    assert.deepEqual(((await bad.json()) as { errors: string[] }).errors, [
      'Payload URL is invalid',
      'Secret is too short (minimum is 12 characters)',
      "Web hook event types can't be blank",
    ]);
    const hook = await createWebHook({ wildcard_web_hook: false, web_hook_event_type_ids: [201] });
    const put = await admin(`/admin/api/web_hooks/${hook.id}.json`, 'PUT', {
      web_hook: { active: false },
    });
    assert.equal(((await put.json()) as { web_hook: { active: boolean } }).web_hook.active, false);
    const list = (await (await admin('/admin/api/web_hooks.json', 'GET')).json()) as {
      web_hooks: Array<{ id: number; web_hook_event_types: Array<{ name: string }> }>;
    };
    assert.deepEqual(
      list.web_hooks[0]!.web_hook_event_types.map((t) => t.name),
      ['post_created'],
    );
  });

  it('sends each change with Discourse headers and a verifiable signature', async () => {
    await createWebHook();
    const ada = m.createUser(sim.state, { username: 'ada', name: 'Ada' });
    m.updateUser(sim.state, ada.id, { name: 'Ada L.' });
    const post = m.createPost(sim.state, {
      userId: ada.id,
      title: 'A topic about titration',
      raw: 'Titration questions go here.',
    });
    m.editPost(sim.state, post.id, {
      raw: 'Titration questions go here, please.',
      title: 'A topic about titrations',
    });
    const badge = m.createBadge(sim.state, { name: 'Certified', badge_type_id: 3 });
    const ub = m.grantBadge(sim.state, { badgeId: badge.id, userId: ada.id, grantedById: ada.id });
    m.revokeBadge(sim.state, ub.id);
    const reply = m.createPost(sim.state, {
      userId: ada.id,
      topicId: post.topic_id,
      raw: 'A reply long enough to count.',
    });
    m.deletePost(sim.state, reply.id, ada.id);
    await sim.webhooks.settle();

    const events = receiver.received.map((r) => r.headers['x-discourse-event']);
    for (const name of [
      'user_created',
      'user_updated',
      'topic_created',
      'post_created',
      'topic_edited',
      'post_edited',
      'user_badge_granted',
      'user_badge_revoked',
      'post_destroyed',
    ]) {
      assert.ok(events.includes(name), `${name} in ${events.join(',')}`);
    }
    const ids = receiver.received.map((r) => Number(r.headers['x-discourse-event-id']));
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      [...new Set(ids)].sort((a, b) => a - b),
    );
    for (const r of receiver.received) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-discourse-instance'], sim.url);
      assert.match(String(r.headers['user-agent']), /^Discourse\//);
      assert.ok(verify(r.body, r.headers['x-discourse-event-signature']), 'signature verifies');
      const type = String(r.headers['x-discourse-event-type']);
      assert.deepEqual(Object.keys(JSON.parse(r.body) as object), [type]);
    }
    const [granted] = receiver.of('user_badge_granted');
    assert.equal(granted!.headers['x-discourse-event-type'], 'user_badge');
    const body = JSON.parse(granted!.body) as { user_badge: { badge_id: number; user_id: number } };
    assert.deepEqual([body.user_badge.badge_id, body.user_badge.user_id], [badge.id, ada.id]);
    assert.equal(
      verify(`${granted!.body} `, granted!.headers['x-discourse-event-signature']),
      false,
    );
  });

  it('sends the topic payload with the key set Discourse asserts', async () => {
    await createWebHook();
    const ada = m.createUser(sim.state, { username: 'ada' });
    m.createPost(sim.state, {
      userId: ada.id,
      title: 'Keys of the topic payload',
      raw: 'The body of the first post.',
    });
    await sim.webhooks.settle();
    const [topic] = receiver.of('topic_created');
    const payload = (JSON.parse(topic!.body) as { topic: Record<string, unknown> }).topic;
    assert.deepEqual(Object.keys(payload).sort(), referenceTopicPayloadKeys().sort());
    const [post] = receiver.of('post_created');
    const p = (JSON.parse(post!.body) as { post: Record<string, unknown> }).post;
    for (const key of [
      'id',
      'topic_id',
      'post_number',
      'raw',
      'cooked',
      'username',
      'topic_title',
      'category_id',
      'topic_posts_count',
    ]) {
      assert.ok(key in p, key);
    }
    assert.ok(!('can_edit' in p) && !('yours' in p), 'WebHookPostSerializer drops can_* and yours');
  });

  it('sends only the events a webhook subscribes to, and nothing when inactive', async () => {
    const hook = await createWebHook({
      wildcard_web_hook: false,
      web_hook_event_type_ids: [WEB_HOOK_EVENT_TYPES.post_created],
    });
    const ada = m.createUser(sim.state, { username: 'ada' });
    m.createPost(sim.state, {
      userId: ada.id,
      title: 'Only post events please',
      raw: 'The body of the first post.',
    });
    await sim.webhooks.settle();
    assert.deepEqual(
      receiver.received.map((r) => r.headers['x-discourse-event']),
      ['post_created'],
    );
    sim.state.webHooks.get(hook.id)!.active = false;
    m.createPost(sim.state, {
      userId: ada.id,
      title: 'Nobody hears this one',
      raw: 'The body of the first post.',
    });
    await sim.webhooks.settle();
    assert.equal(receiver.received.length, 1);
  });

  it('drops a failed delivery when retry_web_hook_events is off', async () => {
    await createWebHook({
      wildcard_web_hook: false,
      web_hook_event_type_ids: [WEB_HOOK_EVENT_TYPES.user_created],
    });
    receiver.status = 500;
    m.createUser(sim.state, { username: 'ada' });
    await sim.webhooks.settle();
    assert.equal(receiver.received.length, 1);
    assert.deepEqual(
      [
        sim.webhooks.counters.dropped,
        sim.webhooks.counters.retried,
        sim.webhooks.counters.delivered,
      ],
      [1, 0, 0],
    );
  });

  it('retries a failed delivery with a new event id when retry_web_hook_events is on', async () => {
    await createWebHook({
      wildcard_web_hook: false,
      web_hook_event_type_ids: [WEB_HOOK_EVENT_TYPES.user_created],
    });
    const on = await fetch(`${sim.url}/__control/site-settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retry_web_hook_events: true }),
    });
    assert.equal(on.status, 200);
    receiver.statuses = [500, 502];
    m.createUser(sim.state, { username: 'ada' });
    await sim.webhooks.settle();
    assert.equal(receiver.received.length, 3);
    assert.equal(new Set(receiver.received.map((r) => r.body)).size, 1, 'the same body each try');
    const ids = receiver.received.map((r) => Number(r.headers['x-discourse-event-id']));
    assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, `event ids ${ids.join(',')}`);
    assert.deepEqual([sim.webhooks.counters.retried, sim.webhooks.counters.delivered], [2, 1]);
  });

  it('gives up after four retries and does not retry a 404', async () => {
    sim.state.siteSettings.retry_web_hook_events = true;
    await createWebHook({
      wildcard_web_hook: false,
      web_hook_event_type_ids: [WEB_HOOK_EVENT_TYPES.user_created],
    });
    receiver.status = 503;
    m.createUser(sim.state, { username: 'ada' });
    await sim.webhooks.settle();
    assert.equal(receiver.received.length, 5);
    receiver.status = 404;
    m.createUser(sim.state, { username: 'bob' });
    await sim.webhooks.settle();
    assert.equal(receiver.received.length, 6);
    assert.equal(sim.webhooks.counters.dropped, 2);
  });
});

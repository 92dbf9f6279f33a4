import assert from 'node:assert/strict';
import { startDiscourseSimulator, type DiscourseSimulator } from './server.js';
import { WebhookReceiver } from './webhook-receiver.js';

describe('Discourse simulator control API and faults', () => {
  let sim: DiscourseSimulator;
  const control = (path: string, body?: unknown, method = 'POST') =>
    fetch(`${sim.url}/__control${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const get = (path: string) =>
    fetch(`${sim.url}${path}`, { headers: { 'Api-Key': sim.apiKey, 'Api-Username': 'system' } });

  beforeEach(async () => {
    sim = await startDiscourseSimulator();
  });
  afterEach(() => sim.close());

  it('builds users, categories and posts that emit webhooks', async () => {
    const receiver = new WebhookReceiver();
    const url = await receiver.start();
    try {
      sim.state.webHooks.set(1, {
        id: 1,
        payload_url: url,
        content_type: 1,
        secret: '',
        wildcard_web_hook: true,
        verify_certificate: true,
        active: true,
        web_hook_event_type_ids: [],
        category_ids: [],
        group_ids: [],
        last_delivery_status: 1,
        created_at: '',
        updated_at: '',
      });
      assert.equal((await control('/users', { username: 'ada', name: 'Ada' })).status, 200);
      const cat = (await (await control('/categories', { name: 'Physics' })).json()) as {
        id: number;
      };
      const post = await control('/posts', {
        username: 'ada',
        title: 'Forces and motion questions',
        raw: 'Ask about Newton here, please.',
        category_id: cat.id,
      });
      assert.equal(post.status, 200);
      await sim.webhooks.settle();
      assert.deepEqual(
        receiver.received
          .map((r) => r.headers['x-discourse-event'])
          .filter((e) => e !== 'category_created'),
        ['user_created', 'topic_created', 'post_created'],
      );
      assert.equal(
        receiver.received[0]!.headers['x-discourse-event-signature'],
        undefined,
        'no secret, no signature',
      );
      const counters = (await (await fetch(`${sim.url}/__control/counters`)).json()) as {
        webhooks: { delivered: number };
      };
      assert.equal(counters.webhooks.delivered, receiver.received.length);
    } finally {
      await receiver.close();
    }
  });

  it('refuses bad control input with 400', async () => {
    const res = await control('/posts', { username: 'system', raw: 7 });
    assert.equal(res.status, 400);
  });

  it('injects 5xx answers, then serves again', async () => {
    await control('/faults', { status: 502, count: 2 });
    assert.equal((await get('/u/system.json')).status, 502);
    assert.equal((await get('/u/system.json')).status, 502);
    assert.equal((await get('/u/system.json')).status, 200);
  });

  it('injects 429 answers with Retry-After', async () => {
    await control('/faults', { status: 429, count: 1, waitSeconds: 7 });
    const res = await get('/u/system.json');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.deepEqual(((await res.json()) as { extras: unknown }).extras, { wait_seconds: 7 });
    assert.equal((await get('/u/system.json')).status, 200);
  });

  it('goes offline with 503, or refusing connections, and back online', async () => {
    await control('/offline', { mode: '503' });
    assert.equal((await get('/u/system.json')).status, 503);
    await control('/online');
    assert.equal((await get('/u/system.json')).status, 200);
    await sim.goOffline('refuse');
    await assert.rejects(get('/u/system.json'));
    await sim.goOnline();
    assert.equal((await get('/u/system.json')).status, 200);
  });
});

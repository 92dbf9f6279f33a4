// The Discourse reconciliation poller (issue 11): posts the relay's webhook never heard about are
// read back from the Discourse simulator's GET /posts.json and logged once, through the intake's
// mapping and ingest; a post both delivered by webhook and seen by the poller is logged once; the
// cursor survives a restart of the relay. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { loadConfig } from '../../relay/src/config.js';
import type { DiscoursePoller } from '../../relay/src/intake/discourse/poller.js';
import { startRelay } from '../../relay/src/relay.js';
import { RelayHarness } from '../support/relay-harness.js';
import * as m from '../sim/discourse/mutations.js';
import { postPayload } from '../sim/discourse/webhooks/payloads.js';
import { startDiscourseSimulator, type DiscourseSimulator } from '../sim/discourse/server.js';
import { webhookToRelay } from './discourse-webhook-to-relay.js';

const SECRET = 'relay-webhook-secret-0123456789';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Discourse reconciliation poller (${dialect})`, function () {
    this.timeout(30_000);
    let h: RelayHarness;
    let sim: DiscourseSimulator;
    const courses = new Map<number, string>();
    const lookup = { courseOfCategory: (id: number) => courses.get(id) };
    const poller = (): DiscoursePoller => {
      assert.ok(h.relay.discoursePoller, 'the worker role runs the poller');
      return h.relay.discoursePoller;
    };
    const forumPosts = () =>
      h.relay.store.db
        .selectFrom('events')
        .select(['key', 'producer', 'source', 'body'])
        .where('entity', '=', 'forum_post')
        .execute();

    before(async () => {
      sim = await startDiscourseSimulator({ webhooks: { minuteMs: 5 } });
      h = await new RelayHarness({
        dialect,
        env: {
          DISCOURSE_WEBHOOK_SECRET: SECRET,
          DISCOURSE_URL: sim.url,
          DISCOURSE_API_KEY: sim.apiKey,
          DISCOURSE_API_USERNAME: 'system',
          // The loop stays idle: each test runs a pass itself.
          DISCOURSE_POLL_INTERVAL: '1h',
        },
        discourseLookup: lookup,
      }).start();
    });
    after(async () => {
      await sim?.close();
      await h?.stop();
    });

    it('back-fills posts created while no webhook reached the relay, exactly once', async () => {
      const first = await poller().runOnce(); // sets the cursor where polling starts
      assert.equal(first.logged, 0);
      const category = m.createCategory(sim.state, { name: `CS101 ${dialect}` });
      courses.set(category.id, '565');
      const elsewhere = m.createCategory(sim.state, { name: `Off topic ${dialect}` });
      const ada = m.createUser(sim.state, { username: `ada_${dialect}` });
      const topic = m.createPost(sim.state, {
        userId: ada.id,
        title: 'Week 1: loop invariants',
        raw: 'The invariant holds because the index only grows.',
        categoryId: category.id,
      });
      const reply = m.createPost(sim.state, {
        userId: ada.id,
        topicId: topic.topic_id,
        raw: 'And it never passes n, ever.',
      });
      m.createPost(sim.state, {
        userId: ada.id,
        title: 'Lunch plans for Friday',
        raw: 'Anyone for noodles on Friday?',
        categoryId: elsewhere.id,
      });
      assert.equal(sim.webhooks.events.length, 0, 'no webhook is configured: Discourse sent none');

      const report = await poller().runOnce();
      assert.equal(report.logged, 2, JSON.stringify(report));
      assert.equal(report.skipped, 1, 'the unlinked category');
      const rows = await forumPosts();
      assert.deepEqual(
        rows.map((r) => r.key).sort(),
        [
          `topic:${topic.topic_id}/post:${reply.id}`,
          `topic:${topic.topic_id}/post:${topic.id}`,
        ].sort(),
      );
      for (const row of rows) {
        assert.equal(row.producer, 'discourse-webhook');
        assert.equal(row.source, 'discourse');
      }
      const raws = rows.map(
        (r) => (JSON.parse(r.body) as { payload: { raw: string } }).payload.raw,
      );
      assert.ok(raws.includes('And it never passes n, ever.'));

      const again = await poller().runOnce();
      assert.equal(again.logged, 0);
      assert.equal(again.known, 2);
      assert.equal((await forumPosts()).length, 2, 'nothing logged twice');
    });

    it('keeps its cursor across a restart: walks past the newest page down to it', async () => {
      const before = await poller().runOnce();
      const category = m.createCategory(sim.state, { name: `CS102 ${dialect}` });
      courses.set(category.id, '566');
      const bo = m.createUser(sim.state, { username: `bo_${dialect}` });
      await h.relay.close();
      // 60 posts while the relay is down: more than GET /posts.json's page of 50.
      const topic = m.createPost(sim.state, {
        userId: bo.id,
        title: 'A long thread of posts',
        raw: 'Post number 0 of the thread',
        categoryId: category.id,
      });
      for (let i = 1; i < 60; i++)
        m.createPost(sim.state, {
          userId: bo.id,
          topicId: topic.topic_id,
          raw: `Post number ${i} of the thread`,
        });
      h.relay = await startRelay({
        config: loadConfig(h.env),
        port: 0,
        sweeper: { idleMs: 500, intervalMs: 250 },
        discourseLookup: lookup,
      });
      const cursor = await h.relay.store.db
        .withTables<{ discourse_poll_cursor: { name: string; post_id: number } }>()
        .selectFrom('discourse_poll_cursor')
        .select('post_id')
        .executeTakeFirstOrThrow();
      assert.equal(Number(cursor.post_id), before.cursor);

      const report = await poller().runOnce();
      assert.equal(report.logged, 60, 'a lost cursor would read the newest 50 only');
      const thread = (await forumPosts()).filter((r) =>
        r.key.startsWith(`topic:${topic.topic_id}/`),
      );
      assert.equal(thread.length, 60);
      assert.ok(report.cursor! > before.cursor!);
    });

    it('logs a post delivered by webhook and seen by the poller once', async () => {
      await webhookToRelay(sim, h.url, SECRET);
      const category = m.createCategory(sim.state, { name: `CS103 ${dialect}` });
      courses.set(category.id, '567');
      const cy = m.createUser(sim.state, { username: `cy_${dialect}` });
      const post = m.createPost(sim.state, {
        userId: cy.id,
        title: 'Both paths see this post',
        raw: 'Seen by the webhook and the poller.',
        categoryId: category.id,
      });
      const edited = m.createPost(sim.state, {
        userId: cy.id,
        topicId: post.topic_id,
        raw: 'First draft of the reply.',
      });
      m.editPost(sim.state, edited.id, { raw: 'Second draft of the reply.' });
      await sim.webhooks.settle();
      const key = (id: number) => `topic:${post.topic_id}/post:${id}`;
      const fromWebhook = (await forumPosts()).filter((r) =>
        r.key.startsWith(`topic:${post.topic_id}/`),
      );
      assert.equal(fromWebhook.length, 3, 'post_created twice and post_edited by webhook');

      const report = await poller().runOnce();
      assert.equal(report.logged, 0, JSON.stringify(report));
      const rows = (await forumPosts()).filter((r) => r.key.startsWith(`topic:${post.topic_id}/`));
      assert.equal(rows.length, 3, 'the poller added nothing');
      assert.equal(rows.filter((r) => r.key === key(post.id)).length, 1);
    });

    it('logs a post the poller read first once when its webhook comes late', async () => {
      const category = m.createCategory(sim.state, { name: `CS104 ${dialect}` });
      courses.set(category.id, '568');
      const di = m.createUser(sim.state, { username: `di_${dialect}` });
      // The webhook to the relay failed meanwhile (Discourse keeps the event to redeliver).
      for (const hook of sim.state.webHooks.values()) hook.active = false;
      const post = m.createPost(sim.state, {
        userId: di.id,
        title: 'The poller reads this first',
        raw: 'Read over REST before its webhook arrives.',
        categoryId: category.id,
      });
      const key = `topic:${post.topic_id}/post:${post.id}`;
      const report = await poller().runOnce();
      assert.ok(report.logged >= 1, JSON.stringify(report));
      assert.equal((await forumPosts()).filter((r) => r.key === key).length, 1);
      // An admin redelivers the event (Admin > Webhooks > Events), as Discourse signs it.
      const body = JSON.stringify({ post: postPayload(sim.state, post) });
      const late = await fetch(`${h.url}/v1/intake/discourse`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-discourse-instance': sim.url,
          'x-discourse-event-id': '990001',
          'x-discourse-event-type': 'post',
          'x-discourse-event': 'post_created',
          'x-discourse-event-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      const answer = (await late.json()) as { results: Array<{ status: string }> };
      assert.equal(late.status, 202, JSON.stringify(answer));
      assert.equal(answer.results[0]?.status, 'duplicate', 'the same version has the same id');
      const rows = (await forumPosts()).filter((r) => r.key === key);
      assert.equal(rows.length, 1, 'one version, one event, whichever path brought it first');
    });
  });
}

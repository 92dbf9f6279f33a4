// End to end (issue 11): the Discourse simulator's own webhook, signed with its secret, posts a
// new topic and an edit to the relay's POST /v1/intake/discourse; the posts are logged as
// forum_post events once, the topic (not a mirror of Canvas content) is answered {skipped}, and
// Discourse's event log shows every delivery as a success. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { RelayHarness } from '../support/relay-harness.js';
import * as m from '../sim/discourse/mutations.js';
import { startDiscourseSimulator, type DiscourseSimulator } from '../sim/discourse/server.js';
import { webhookToRelay } from './discourse-webhook-to-relay.js';

const SECRET = 'relay-webhook-secret-0123456789';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Discourse simulator webhooks into the relay (${dialect})`, function () {
    this.timeout(30_000);
    let h: RelayHarness;
    let sim: DiscourseSimulator;
    /** The category links the relay knows (the links issue will keep them in the database). */
    const courses = new Map<number, string>();

    before(async () => {
      sim = await startDiscourseSimulator({ webhooks: { minuteMs: 5 } });
      h = await new RelayHarness({
        dialect,
        env: { DISCOURSE_WEBHOOK_SECRET: SECRET, DISCOURSE_URL: sim.url },
        discourseLookup: { courseOfCategory: (id) => courses.get(id) },
      }).start();
      await webhookToRelay(sim, h.url, SECRET);
    });
    after(async () => {
      await sim?.close();
      await h?.stop();
    });

    it('logs a new topic post and its edit as forum_post events, once each', async () => {
      const category = m.createCategory(sim.state, { name: `CS101 ${dialect}` });
      courses.set(category.id, '565');
      const ada = m.createUser(sim.state, { username: `ada_${dialect}` });
      const post = m.createPost(sim.state, {
        userId: ada.id,
        title: 'Week 1: loop invariants',
        raw: 'I think the loop invariant holds because the index only grows.',
        categoryId: category.id,
      });
      m.editPost(sim.state, post.id, {
        raw: 'I think the loop invariant holds: the index only grows, and never passes n.',
      });
      await sim.webhooks.settle();

      const key = `topic:${post.topic_id}/post:${post.id}`;
      const rows = await h.relay.store.db
        .selectFrom('events')
        .select(['producer', 'source', 'entity', 'key', 'body'])
        .where('key', '=', key)
        .execute();
      assert.equal(rows.length, 2, 'post_created and post_edited');
      for (const row of rows) {
        assert.equal(row.producer, 'discourse-webhook');
        assert.equal(row.source, 'discourse');
        assert.equal(row.entity, 'forum_post');
      }
      const raws = rows.map(
        (r) => (JSON.parse(r.body) as { payload: { raw: string } }).payload.raw,
      );
      assert.ok(
        raws.some((raw) => raw.includes('never passes n')),
        'the edit is logged',
      );

      // Discourse's own log: every delivery answered 2xx (the topic with {skipped}, 200).
      const tries = sim.webhooks.events.filter((e) => e.event !== 'ping');
      const byEvent = Object.fromEntries(tries.map((e) => [e.event, e.status]));
      assert.equal(byEvent.post_created, 202);
      assert.equal(byEvent.post_edited, 202);
      assert.equal(byEvent.topic_created, 200);
      assert.ok(
        tries.every((e) => e.status >= 200 && e.status < 300),
        JSON.stringify(tries),
      );
    });
  });
}

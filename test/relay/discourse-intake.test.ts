// POST /v1/intake/discourse (issue 11): a Discourse webhook, signed as Discourse signs it
// (X-Discourse-Event-Signature: sha256=<HMAC-SHA256 of the raw body>), becomes SyncEvents logged by
// the same ingest path as signed events; forged, incomplete, unknown, malformed and replayed
// webhooks each get a clear answer and nothing is stored twice. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { staticDiscourseLookup } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { POST } from './discourse-post.js';

const SECRET = 'discourse-webhook-secret-0123';
const INSTANCE = 'https://forum.example.edu';

const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let nextEventId = 1;

/** Posts a webhook as Discourse does; `headers` overrides (undefined removes) any header. */
async function deliver(
  url: string,
  options: {
    event?: string;
    body?: string;
    eventId?: string;
    headers?: Record<string, string | undefined>;
  } = {},
) {
  const event = options.event ?? 'post_created';
  const body = options.body ?? JSON.stringify(POST);
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'x-discourse-instance': INSTANCE,
    'x-discourse-event-id': options.eventId ?? String(nextEventId++),
    'x-discourse-event-type': event.startsWith('user_badge_') ? 'user_badge' : event.split('_')[0],
    'x-discourse-event': event,
    'x-discourse-event-signature': sign(body),
    ...options.headers,
  };
  const sent = Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const response = await fetch(`${url}/v1/intake/discourse`, {
    method: 'POST',
    headers: sent,
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      skipped?: string;
      duplicate?: boolean;
      results?: Array<{ id?: string; status: string }>;
      error?: { code: string; message: string };
    },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`POST /v1/intake/discourse (${dialect})`, function () {
    this.timeout(30_000);
    let h: RelayHarness;
    before(async () => {
      h = await new RelayHarness({
        dialect,
        env: { DISCOURSE_WEBHOOK_SECRET: SECRET, DISCOURSE_URL: INSTANCE },
        discourseLookup: staticDiscourseLookup({ categories: { '12': '565' } }),
      }).start();
    });
    after(async () => {
      await h?.stop();
    });

    const rows = () =>
      h.relay.store.db
        .selectFrom('events')
        .select(['id', 'source', 'producer', 'entity', 'key', 'op'])
        .where('entity', '=', 'forum_post')
        .execute();

    it('logs a signed post_created as a forum_post from producer discourse-webhook', async () => {
      const { status, body } = await deliver(h.url);
      assert.equal(status, 202, JSON.stringify(body));
      assert.equal(body.results?.[0]?.status, 'accepted');
      const logged = await rows();
      assert.equal(logged.length, 1);
      assert.deepEqual(
        { ...logged[0], id: undefined },
        {
          id: undefined,
          source: 'discourse',
          producer: 'discourse-webhook',
          entity: 'forum_post',
          key: 'topic:800/post:5001',
          op: 'upsert',
        },
      );
      assert.equal(logged[0]!.id, body.results![0]!.id);
    });

    it('answers a replayed event id 200 {"duplicate": true} and stores nothing twice', async () => {
      const body = JSON.stringify({ post: { ...POST.post, id: 5002 } });
      const first = await deliver(h.url, { body, eventId: '900' });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const again = await deliver(h.url, { body, eventId: '900' });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { duplicate: true });
      // The same event id from another Discourse instance is another event.
      const other = await deliver(h.url, {
        body,
        eventId: '900',
        headers: { 'x-discourse-instance': 'https://other.example.edu' },
      });
      assert.equal(other.status, 202);
      assert.equal(other.body.results?.[0]?.status, 'duplicate', 'same body: same SyncEvent id');
      const logged = (await rows()).filter((r) => r.key === 'topic:800/post:5002');
      assert.equal(logged.length, 1);
    });

    it('refuses a forged signature with 401 and logs nothing', async () => {
      const before = (await rows()).length;
      const body = JSON.stringify({ post: { ...POST.post, id: 5003 } });
      const forged = await deliver(h.url, {
        body,
        headers: { 'x-discourse-event-signature': sign(body, 'another-secret-of-mallory') },
      });
      assert.equal(forged.status, 401);
      assert.equal(forged.body.error?.code, 'ERR_BAD_SIGNATURE');
      assert.match(forged.body.error!.message, /does not match the body/);
      // The body altered after signing.
      const altered = await deliver(h.url, {
        body: body.replace('5003', '5004'),
        headers: { 'x-discourse-event-signature': sign(body) },
      });
      assert.equal(altered.status, 401);
      assert.equal((await rows()).length, before);
    });

    it('refuses a signature of another form or length before comparing, with 401', async () => {
      const body = JSON.stringify(POST);
      const digest = sign(body).slice('sha256='.length);
      for (const header of [
        digest, // no sha256= prefix
        `sha1=${digest.slice(0, 40)}`,
        `sha256=${digest.slice(0, 62)}`, // short
        `sha256=${digest}00`, // long
        `sha256=${'z'.repeat(64)}`, // not hex
      ]) {
        const { status, body: answer } = await deliver(h.url, {
          body,
          headers: { 'x-discourse-event-signature': header },
        });
        assert.equal(status, 401, header);
        assert.match(answer.error!.message, /must be sha256=<64 hex digits>/);
      }
      const missing = await deliver(h.url, {
        headers: { 'x-discourse-event-signature': undefined },
      });
      assert.equal(missing.status, 401);
      assert.match(missing.body.error!.message, /X-Discourse-Event-Signature is missing/);
    });

    it('refuses a missing header with 400 naming it', async () => {
      for (const name of [
        'X-Discourse-Instance',
        'X-Discourse-Event-Id',
        'X-Discourse-Event-Type',
        'X-Discourse-Event',
      ]) {
        const { status, body } = await deliver(h.url, {
          headers: { [name.toLowerCase()]: undefined },
        });
        assert.equal(status, 400, name);
        assert.equal(body.error?.code, 'ERR_MALFORMED');
        assert.match(body.error!.message, new RegExp(`^${name} header is missing`));
      }
      const mismatched = await deliver(h.url, { headers: { 'x-discourse-event-type': 'user' } });
      assert.equal(mismatched.status, 400);
      assert.match(mismatched.body.error!.message, /not an event of X-Discourse-Event-Type "user"/);
    });

    it('answers an unknown event type 200 {skipped} with the reason', async () => {
      const body = JSON.stringify({ category: { id: 12, name: 'CS101' } });
      const { status, body: answer } = await deliver(h.url, { event: 'category_created', body });
      assert.equal(status, 200);
      assert.deepEqual(answer, {
        skipped: 'no sync entity for Discourse webhook event "category_created"',
      });
      const unlinked = await deliver(h.url, {
        body: JSON.stringify({ post: { ...POST.post, id: 5005, category_id: 13 } }),
      });
      assert.equal(unlinked.status, 200);
      assert.deepEqual(unlinked.body, { skipped: 'category 13 is not linked to a Canvas course' });
    });

    it('refuses malformed JSON with 400, and a body that is not the payload with 422', async () => {
      const broken = await deliver(h.url, { body: '{"post": {"id": 5006,' });
      assert.equal(broken.status, 400);
      assert.match(broken.body.error!.message, /not valid JSON/);
      const wrong = await deliver(h.url, { body: JSON.stringify({ post: { id: 'x' } }) });
      assert.equal(wrong.status, 422);
      assert.match(wrong.body.error!.message, /invalid post_created payload: post\.id/);
    });
  });
}

describe('POST /v1/intake/discourse without DISCOURSE_WEBHOOK_SECRET', function () {
  this.timeout(30_000);
  let h: RelayHarness;
  before(async () => {
    h = await new RelayHarness({ dialect: 'sqlite' }).start();
  });
  after(async () => {
    await h?.stop();
  });

  it('answers 503 naming the setting', async () => {
    const { status, body } = await deliver(h.url);
    assert.equal(status, 503);
    assert.match(body.error!.message, /DISCOURSE_WEBHOOK_SECRET is not set/);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isCdsError } from '../../errors.js';
import { parseSyncEvent, type SyncEvent } from '../../events/sync-event.js';
import { defaultMappings } from '../../mappings/registry.js';
import { PROFILE_FIELD_OWNERS } from '../../policies/table.js';
import type { DiscourseLookup } from './lookup.js';
import { DISCOURSE_MAPPED_EVENTS, mapDiscourseWebhook, type DiscourseMapOptions } from './map.js';

type Json = Record<string, unknown>;

/** The key sets Discourse's own serializer specs assert, kept beside the repository. */
const KEYS = JSON.parse(
  readFileSync(
    fileURLToPath(
      new URL(
        '../../../../../shared/reference/discourse/webhook_payload_keys.json',
        import.meta.url,
      ),
    ),
    'utf8',
  ),
) as Record<string, unknown>;
const TOPIC_KEYS = Object.entries(KEYS).find(([k]) =>
  k.startsWith('topic_payload_keys'),
)![1] as string[];

/** A post_created body as WebHookPostSerializer gives it (PostSerializer fields, admin scope). */
function postBody(overrides: Json = {}): Json {
  return {
    post: {
      id: 5001,
      name: 'Ada Student',
      username: 'ada',
      avatar_template: '/user_avatar/forum.example.edu/ada/{size}/12_2.png',
      created_at: '2026-09-01T08:00:00.000Z',
      cooked: '<p>I think the loop invariant holds.</p>',
      post_number: 2,
      post_type: 1,
      updated_at: '2026-09-01T08:05:00.000Z',
      reply_count: 0,
      reply_to_post_number: null,
      quote_count: 0,
      incoming_link_count: 0,
      reads: 1,
      score: 0,
      topic_id: 800,
      topic_slug: 'week-1-loops',
      topic_title: 'Week 1: loops',
      category_id: 12,
      display_username: 'Ada Student',
      primary_group_name: null,
      flair_name: null,
      version: 1,
      user_title: null,
      bookmarked: false,
      raw: 'I think the loop invariant holds.',
      moderator: false,
      admin: false,
      staff: false,
      user_id: 1001,
      hidden: false,
      trust_level: 1,
      deleted_at: null,
      user_deleted: false,
      edit_reason: null,
      wiki: false,
      reviewable_id: null,
      reviewable_score_count: 0,
      reviewable_score_pending_count: 0,
      topic_posts_count: 2,
      topic_filtered_posts_count: 2,
      topic_archetype: 'regular',
      category_slug: 'cs101',
      ...overrides,
    },
  };
}

/** A topic body with exactly the key set Discourse's WebHookTopicViewSerializer spec asserts. */
function topicBody(overrides: Json = {}): Json {
  const values: Json = {
    id: 800,
    title: 'Week 1: loops',
    fancy_title: 'Week 1: loops',
    created_at: '2026-09-01T07:00:00.000Z',
    archetype: 'regular',
    category_id: 12,
    deleted_at: null,
    user_id: 7,
  };
  return {
    topic: {
      ...Object.fromEntries(TOPIC_KEYS.map((key) => [key, values[key] ?? null])),
      ...overrides,
    },
  };
}

function userBody(overrides: Json = {}): Json {
  return {
    user: {
      id: 1001,
      username: 'ada',
      name: 'Ada Student',
      avatar_template: '/user_avatar/forum.example.edu/ada/{size}/12_2.png',
      created_at: '2026-08-01T10:00:00.000Z',
      last_seen_at: '2026-09-01T08:00:00.000Z',
      trust_level: 1,
      title: 'Helpful classmate',
      bio_raw: 'Second-year student.',
      website: 'https://ada.example.org/',
      location: 'Lisbon',
      email: 'ada@example.edu',
      external_id: 'sis-ada',
      ...overrides,
    },
  };
}

/** UserBadgeSerializer with root false: associations by id only. */
const userBadgeBody = (overrides: Json = {}): Json => ({
  user_badge: {
    id: 665,
    granted_at: '2026-09-02T09:00:00.000Z',
    badge_id: 104,
    user_id: 1001,
    granted_by_id: -1,
    ...overrides,
  },
});

const LINKED: DiscourseLookup = {
  courseOfCategory: (id) => (id === 12 ? '565' : undefined),
  canvasUserOf: (user) => (user.id === 1001 ? '21070000000020001' : undefined),
  contentOfTopic: (id) =>
    id === 800 ? { course_id: '565', content_type: 'announcement', content_id: '9001' } : undefined,
  firstPost: () => ({
    cooked: '<p>Read chapter 1.</p>',
    username: 'prof_lee',
    updated_at: '2026-09-01T07:30:00.000Z',
  }),
  badge: (id) =>
    id === 104
      ? { id: 104, name: 'Helpful classmate', slug: 'helpful-classmate', badge_type_id: 2 }
      : undefined,
};
const OPTIONS: DiscourseMapOptions = {
  lookup: LINKED,
  receivedAt: Date.UTC(2026, 8, 3),
  discourseUrl: 'https://forum.example.edu',
};

const registry = defaultMappings();
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function mapped(event: string, body: unknown, options = OPTIONS): Promise<SyncEvent[]> {
  const result = await mapDiscourseWebhook(event, body, options);
  assert.ok('events' in result, `expected events, got ${JSON.stringify(result)}`);
  for (const e of result.events) {
    parseSyncEvent(e);
    registry.toCanonical(e); // payload schema and key check, as the relay's ingest does
    assert.equal(e.source, 'discourse');
    assert.match(e.id, UUID_V7);
  }
  return result.events;
}

async function skipped(event: string, body: unknown, options = OPTIONS): Promise<string> {
  const result = await mapDiscourseWebhook(event, body, options);
  assert.ok('skipped' in result, `expected skipped, got ${JSON.stringify(result)}`);
  return result.skipped;
}

async function rejects(event: string, body: unknown, message: RegExp) {
  await assert.rejects(mapDiscourseWebhook(event, body, OPTIONS), (error: unknown) => {
    assert.ok(isCdsError(error) && error.code === 'ERR_INVALID_EVENT', String(error));
    assert.match(error.message, message);
    return true;
  });
}

describe('mapDiscourseWebhook', () => {
  it('the topic fixture has every key Discourse asserts for topic webhooks', () => {
    assert.ok(TOPIC_KEYS.length > 20);
    assert.deepEqual(Object.keys(topicBody().topic as Json).sort(), [...TOPIC_KEYS].sort());
  });

  it('maps post_created to a forum_post keyed by topic and post, timed by updated_at', async () => {
    const [event] = await mapped('post_created', postBody());
    assert.equal(event!.entity, 'forum_post');
    assert.equal(event!.op, 'upsert');
    assert.equal(event!.key, 'topic:800/post:5001');
    const time = Date.parse('2026-09-01T08:05:00.000Z');
    assert.deepEqual(event!.vv, { discourse: time });
    assert.deepEqual(event!.hlc, { wall: time, counter: 0, node: 'discourse' });
    assert.equal(parseInt(event!.id.replaceAll('-', '').slice(0, 12), 16), time);
    assert.deepEqual(event!.payload, {
      id: 5001,
      topic_id: 800,
      post_number: 2,
      user_id: 1001,
      username: 'ada',
      category_id: 12,
      raw: 'I think the loop invariant holds.',
      reply_to_post_number: null,
      created_at: '2026-09-01T08:00:00.000Z',
      updated_at: '2026-09-01T08:05:00.000Z',
      deleted_at: null,
    });
  });

  it('gives a redelivered webhook the same ids, and an edit new ones with a later vv', async () => {
    const [first] = await mapped('post_created', postBody());
    const [again] = await mapped('post_created', postBody());
    assert.equal(again!.id, first!.id);
    const [edit] = await mapped(
      'post_edited',
      postBody({ raw: 'Edited.', updated_at: '2026-09-01T09:00:00.000Z', version: 2 }),
    );
    assert.notEqual(edit!.id, first!.id);
    assert.ok(edit!.vv.discourse! > first!.vv.discourse!);
  });

  it('maps post_destroyed to a forum_post delete timed by deleted_at', async () => {
    const [event] = await mapped(
      'post_destroyed',
      postBody({ deleted_at: '2026-09-01T10:00:00.000Z' }),
    );
    assert.equal(event!.op, 'delete');
    assert.equal(event!.vv.discourse, Date.parse('2026-09-01T10:00:00.000Z'));
    assert.equal(event!.payload.deleted_at, '2026-09-01T10:00:00.000Z');
  });

  it('skips posts it must not sync, with the reason', async () => {
    assert.equal(
      await skipped('post_created', postBody({ category_id: 99 })),
      'category 99 is not linked to a Canvas course',
    );
    assert.equal(
      await skipped('post_created', postBody(), {}),
      'category 12 is not linked to a Canvas course',
    );
    assert.match(
      await skipped(
        'post_created',
        postBody({ topic_archetype: 'private_message', category_id: null }),
      ),
      /private message/,
    );
    assert.match(await skipped('post_created', postBody({ post_type: 3 })), /post_type 3/);
    assert.match(
      await skipped('post_created', postBody({ user_id: -1, username: 'system' })),
      /Discourse's own user @system/,
    );
  });

  it('maps topic_created and topic_edited of a mirrored topic to content_edit', async () => {
    for (const name of ['topic_created', 'topic_edited']) {
      const [event] = await mapped(name, topicBody({ title: 'Week 1: loops (updated)' }));
      assert.equal(event!.entity, 'content_edit');
      assert.equal(event!.key, 'course:565/announcement:9001');
      assert.deepEqual(event!.payload, {
        origin: 'canvas',
        course_id: '565',
        content_type: 'announcement',
        content_id: '9001',
        discourse_topic_id: 800,
        title: 'Week 1: loops (updated)',
        body_html: '<p>Read chapter 1.</p>',
        updated_at: '2026-09-01T07:30:00.000Z',
        edited_by: 'prof_lee',
      });
      assert.equal(event!.vv.discourse, Date.parse('2026-09-01T07:30:00.000Z'));
    }
  });

  it('skips topics that mirror nothing, or whose body it cannot get', async () => {
    assert.match(
      await skipped('topic_created', topicBody({ id: 801 })),
      /topic 801 does not mirror/,
    );
    const noBody = { ...OPTIONS, lookup: { ...LINKED, firstPost: undefined } };
    assert.match(
      await skipped('topic_edited', topicBody(), noBody),
      /carries no body: .* needs its first post/,
    );
    assert.match(
      await skipped('topic_created', topicBody({ archetype: 'private_message' })),
      /private message/,
    );
  });

  it('maps user_updated to a profile of the fields Discourse owns only', async () => {
    const [event] = await mapped('user_updated', userBody());
    assert.equal(event!.entity, 'profile');
    assert.equal(event!.key, 'user:21070000000020001');
    assert.deepEqual(event!.payload, {
      canvas_user_id: '21070000000020001',
      discourse_user_id: 1001,
      bio_raw: 'Second-year student.',
      avatar_url: 'https://forum.example.edu/user_avatar/forum.example.edu/ada/240/12_2.png',
      website: 'https://ada.example.org/',
      location: 'Lisbon',
      title: 'Helpful classmate',
    });
    for (const field of Object.keys(event!.payload))
      if (field in PROFILE_FIELD_OWNERS)
        assert.equal(PROFILE_FIELD_OWNERS[field as keyof typeof PROFILE_FIELD_OWNERS], 'discourse');
    assert.equal(event!.vv.discourse, OPTIONS.receivedAt, 'no updated_at: timed on arrival');
    const [created] = await mapped('user_created', userBody());
    assert.equal(created!.vv.discourse, Date.parse('2026-08-01T10:00:00.000Z'));
  });

  it('passes the DiscourseConnect external_id to the user link lookup', async () => {
    const seen: unknown[] = [];
    const lookup: DiscourseLookup = {
      canvasUserOf: (user) => {
        seen.push(user);
        return undefined;
      },
    };
    assert.equal(
      await skipped('user_updated', userBody(), { lookup }),
      'Discourse user @ada (id 1001) is not linked to a Canvas user',
    );
    assert.deepEqual(seen, [{ id: 1001, username: 'ada', external_id: 'sis-ada' }]);
  });

  it('skips a user change without a Discourse-owned field', async () => {
    const body = userBody({
      bio_raw: null,
      avatar_template: null,
      website: null,
      location: null,
      title: null,
    });
    assert.match(await skipped('user_updated', body), /none of the profile fields Discourse owns/);
  });

  it('maps user_badge_granted to a badge issued by discourse, and revoked to revoked', async () => {
    const [event] = await mapped('user_badge_granted', userBadgeBody());
    assert.equal(event!.entity, 'badge');
    assert.equal(event!.key, 'user:21070000000020001/badge:helpful-classmate');
    assert.deepEqual(event!.payload, {
      issuer: 'discourse',
      badge_slug: 'helpful-classmate',
      name: 'Helpful classmate',
      badge_type: 'silver',
      discourse_badge_id: 104,
      canvas_user_id: '21070000000020001',
      discourse_user_id: 1001,
      granted_at: '2026-09-02T09:00:00.000Z',
      revoked: false,
    });
    const [revoked] = await mapped('user_badge_revoked', userBadgeBody());
    assert.equal(revoked!.payload.revoked, true);
    assert.ok(revoked!.vv.discourse! > event!.vv.discourse!);
    assert.match(
      await skipped('user_badge_granted', userBadgeBody(), {}),
      /carries only badge_id 104: .*DiscourseLookup with badge/,
    );
  });

  it('skips events it does not map, naming them', async () => {
    assert.equal(
      await skipped('ping', { ping: 'OK' }),
      'no sync entity for Discourse webhook event "ping"',
    );
    assert.match(await skipped('category_created', { category: {} }), /"category_created"/);
    assert.ok(!('ping' in DISCOURSE_MAPPED_EVENTS));
  });

  it('refuses malformed bodies, naming the field', async () => {
    await rejects('post_created', [], /must be a JSON object \{"post": \{\.\.\.\}\}/);
    await rejects('post_created', { topic: {} }, /must be \{"post": \{\.\.\.\}\}; it has "topic"/);
    await rejects(
      'post_created',
      postBody({ topic_id: 'abc', created_at: 'yesterday' }),
      /invalid post_created payload: post\.topic_id: .*post\.created_at: /,
    );
    await rejects('user_badge_granted', { user_badge: { id: 1 } }, /user_badge\.granted_at/);
    await rejects('Post Created', {}, /not a Discourse webhook event name/);
  });
});

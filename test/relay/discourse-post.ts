// A Discourse post_created webhook body, shared by the tests of the relay's Discourse intake and
// of `cds map discourse`: one post (5001) in topic 800 of category 12.

/** A post_created payload as Discourse's WebHookPostSerializer gives it (the fields read, and some). */
export const POST = {
  post: {
    id: 5001,
    username: 'ada',
    created_at: '2026-09-01T08:00:00.000Z',
    cooked: '<p>I think the loop invariant holds.</p>',
    post_number: 2,
    post_type: 1,
    updated_at: '2026-09-01T08:05:00.000Z',
    reply_to_post_number: null,
    topic_id: 800,
    topic_title: 'Week 1: loops',
    category_id: 12,
    raw: 'I think the loop invariant holds.',
    user_id: 1001,
    deleted_at: null,
    topic_archetype: 'regular',
    category_slug: 'cs101',
  },
};

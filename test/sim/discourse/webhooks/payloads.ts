// Webhook payloads as Discourse builds them (WebHook.generate_payload with the WebHook*Serializer of
// the type, serialized with the system user's guardian, i.e. admin scope):
// app/serializers/web_hook_topic_view_serializer.rb, web_hook_post_serializer.rb,
// web_hook_user_serializer.rb, and UserBadgeSerializer for user_badge events
// (config/initializers/012-web_hook_events.rb). The body wraps it in a root named after the type.
import * as s from '../rest/serializers.js';
import type {
  DiscoursePost,
  DiscourseState,
  DiscourseTopic,
  DiscourseUser,
  DiscourseUserBadge,
} from '../state.js';

type Json = Record<string, unknown>;

function pick(from: Json, keys: readonly string[]): Json {
  return Object.fromEntries(keys.map((k) => [k, from[k] ?? null]));
}

function omit(from: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(from).filter(([k]) => !keys.includes(k)));
}

/** WebHookTopicViewSerializer's attributes (the set its spec asserts, tagging enabled). */
export const TOPIC_PAYLOAD_KEYS = [
  'id',
  'title',
  'fancy_title',
  'posts_count',
  'created_at',
  'views',
  'reply_count',
  'like_count',
  'last_posted_at',
  'visible',
  'closed',
  'archived',
  'archetype',
  'slug',
  'category_id',
  'word_count',
  'deleted_at',
  'user_id',
  'featured_link',
  'pinned_globally',
  'pinned_at',
  'pinned_until',
  'unpinned',
  'pinned',
  'highest_post_number',
  'deleted_by',
  'bookmarked',
  'participant_count',
  'created_by',
  'last_poster',
  'tags',
  'thumbnails',
] as const;

export function topicPayload(state: DiscourseState, t: DiscourseTopic): Json {
  const view = s.topicView(state, t);
  const details = view.details as Json;
  return pick(
    { ...view, created_by: details.created_by, last_poster: details.last_poster },
    TOPIC_PAYLOAD_KEYS,
  );
}

/** Attributes WebHookPostSerializer leaves out of PostSerializer's. */
const POST_EXCLUDED = [
  'can_view',
  'can_edit',
  'can_delete',
  'can_recover',
  'can_see_hidden_post',
  'can_wiki',
  'actions_summary',
  'can_view_edit_history',
  'yours',
  'flair_url',
  'flair_bg_color',
  'flair_color',
  'notice',
  'mentioned_users',
  'badges_granted',
  'readers_count',
];

export function postPayload(state: DiscourseState, p: DiscoursePost): Json {
  const topic = state.topics.get(p.topic_id)!;
  const category = state.categories.get(topic.category_id);
  const livePosts = state.postsOf(topic.id).filter((x) => !x.user_deleted);
  return {
    ...omit(s.post(state, p), POST_EXCLUDED),
    topic_title: topic.title,
    category_id: topic.category_id,
    topic_posts_count: livePosts.length,
    topic_filtered_posts_count: livePosts.filter((x) => x.post_type === 1).length,
    topic_archetype: topic.archetype,
    ...(category ? { category_slug: category.slug } : {}),
  };
}

/** Attributes WebHookUserSerializer leaves out of UserSerializer's. */
const USER_EXCLUDED = [
  'unconfirmed_emails',
  'can_edit',
  'can_edit_username',
  'can_edit_email',
  'can_edit_name',
  'can_send_private_messages',
  'can_send_private_message_to_user',
  'can_ignore_user',
  'can_mute_user',
  'ignored',
  'uploaded_avatar_id',
  'has_title_badges',
  'bio_cooked',
  'custom_fields',
  'can_be_deleted',
  'can_delete_all_posts',
  'system_avatar_upload_id',
  'gravatar_avatar_upload_id',
  'custom_avatar_upload_id',
  'can_change_bio',
  'can_change_location',
  'can_change_website',
  'can_change_tracking_preferences',
  'user_api_keys',
  'group_users',
  'user_auth_tokens',
  'user_auth_token_logs',
  'use_logo_small_as_avatar',
  'pending_posts_count',
];

export function userPayload(state: DiscourseState, u: DiscourseUser): Json {
  return {
    ...omit(s.userDetail(state, u), USER_EXCLUDED),
    ...(u.external_id !== null ? { external_id: u.external_id } : {}),
  };
}

export function userBadgePayload(state: DiscourseState, ub: DiscourseUserBadge): Json {
  const b = state.badges.get(ub.badge_id)!;
  return { ...s.userBadge(ub, b.badge_grouping_id) };
}

import { z } from 'zod';
import { InvalidEvent } from '../../errors.js';
import { discourseId, timestamp } from '../../events/payloads/common.js';

/**
 * Discourse webhook bodies. Discourse posts `{"<event type>": <payload>}` with the event type (the
 * group: `post`, `topic`, `user`, `user_badge`) in `X-Discourse-Event-Type` and the event name
 * (`post_created`...) in `X-Discourse-Event` (app/jobs/regular/emit_web_hook_event.rb,
 * `build_webhook_body` and `build_webhook_headers`, github.com/discourse/discourse). The payloads
 * are the serializers named below; fields this mapping does not read are kept as sent. Key sets
 * drift across Discourse versions (../shared/reference/discourse/webhook_payload_keys.json), so
 * only the fields read are required.
 */

/**
 * `post_*`: WebHookPostSerializer < PostSerializer (app/serializers/web_hook_post_serializer.rb),
 * the same fields as `GET /posts/{id}.json` in the OpenAPI document
 * (https://docs.discourse.org/#tag/Posts/operation/getPost) plus `topic_title`, `category_id`,
 * `raw`, `topic_posts_count`, `topic_archetype` and `category_slug`.
 */
export const webhookPostSchema = z.looseObject({
  id: discourseId,
  topic_id: discourseId,
  post_number: z.number().int().positive(),
  /** 1 regular, 2 moderator_action, 3 small_action, 4 whisper (Post.types). */
  post_type: z.number().int().nullish(),
  /** Negative for Discourse's own users (system is -1). */
  user_id: z.number().int(),
  username: z.string().min(1),
  /** Absent for a topic without a category (a private message). */
  category_id: discourseId.nullish(),
  raw: z.string(),
  reply_to_post_number: z.number().int().positive().nullish(),
  created_at: timestamp,
  updated_at: timestamp,
  deleted_at: timestamp.nullish(),
  /** `regular` or `private_message` (WebHookPostSerializer#topic_archetype). */
  topic_archetype: z.string().nullish(),
});
export type WebhookPost = z.infer<typeof webhookPostSchema>;

/**
 * `topic_*`: WebHookTopicViewSerializer < TopicViewSerializer
 * (app/serializers/web_hook_topic_view_serializer.rb; https://docs.discourse.org/#tag/Topics/operation/getTopic).
 * It has no `updated_at` and no post: the body of the topic is its first post.
 */
export const webhookTopicSchema = z.looseObject({
  id: discourseId,
  title: z.string().min(1),
  archetype: z.string().nullish(),
  category_id: discourseId.nullish(),
  created_at: timestamp,
  deleted_at: timestamp.nullish(),
});
export type WebhookTopic = z.infer<typeof webhookTopicSchema>;

/**
 * `user_*`: WebHookUserSerializer < UserSerializer (app/serializers/web_hook_user_serializer.rb;
 * https://docs.discourse.org/#tag/Users/operation/getUser). `external_id` is the DiscourseConnect
 * id, present when the site signs users in through an identity provider. No `updated_at`.
 */
export const webhookUserSchema = z.looseObject({
  id: z.number().int(),
  username: z.string().min(1),
  created_at: timestamp,
  external_id: z.union([z.string(), z.number()]).nullish(),
  bio_raw: z.string().nullish(),
  website: z.string().nullish(),
  location: z.string().nullish(),
  title: z.string().nullish(),
  avatar_template: z.string().nullish(),
});
export type WebhookUser = z.infer<typeof webhookUserSchema>;

/**
 * `user_badge_*`: UserBadgeSerializer with `root: false` (config/initializers/012-web_hook_events.rb):
 * its associations come as ids only (`badge_id`, `user_id`, `granted_by_id`), so the badge's name
 * and slug are not in the body.
 */
export const webhookUserBadgeSchema = z.looseObject({
  id: discourseId,
  granted_at: timestamp,
  badge_id: discourseId,
  user_id: z.number().int(),
  granted_by_id: z.number().int().nullish(),
  post_id: discourseId.nullish(),
});
export type WebhookUserBadge = z.infer<typeof webhookUserBadgeSchema>;

/** The root key Discourse wraps each event's payload in: the event type of `X-Discourse-Event-Type`. */
export function discoursePayloadRoot(eventName: string): string | undefined {
  if (eventName.startsWith('user_badge_')) return 'user_badge';
  const match = /^(post|topic|user)_[a-z_]+$/.exec(eventName);
  return match?.[1];
}

/**
 * Takes the payload out of a webhook body `{"<root>": {...}}` and checks it; the error names the
 * event and each wrong field as `post.topic_id`.
 */
export function parseDiscoursePayload<T extends z.ZodType>(
  eventName: string,
  root: string,
  body: unknown,
  schema: T,
): z.infer<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InvalidEvent(
      `a Discourse ${eventName} webhook body must be a JSON object {"${root}": {...}}`,
    );
  const payload = (body as Record<string, unknown>)[root];
  if (payload === undefined)
    throw new InvalidEvent(
      `a Discourse ${eventName} webhook body must be {"${root}": {...}}; it has ${
        Object.keys(body)
          .map((k) => `"${k}"`)
          .join(', ') || 'no keys'
      }`,
    );
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`,
    );
    throw new InvalidEvent(`invalid ${eventName} payload: ${issues.join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data as z.infer<T>;
}

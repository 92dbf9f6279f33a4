import { z } from 'zod';
import { canvasId, discourseId, timestamp } from '../../events/payloads/common.js';

type Awaitable<T> = T | Promise<T>;

/** The Canvas content a Discourse topic mirrors (a page or an announcement of a course). */
export const mirroredContentSchema = z.object({
  /** Where the content was first written: a topic made from a Canvas page is `canvas`. */
  origin: z.enum(['canvas', 'discourse']).default('canvas'),
  course_id: canvasId,
  content_type: z.enum(['page', 'announcement']),
  content_id: canvasId,
});
export type MirroredContent = z.input<typeof mirroredContentSchema>;

/**
 * A topic's first post, its body: `GET /t/{id}/posts.json` or `GET /posts/{id}.json`
 * (https://docs.discourse.org/#tag/Posts/operation/getPost): `cooked` is the HTML Discourse renders.
 */
export const firstPostSchema = z.object({
  cooked: z.string(),
  username: z.string().min(1),
  updated_at: timestamp,
});
export type FirstPost = z.input<typeof firstPostSchema>;

/**
 * A badge as `GET /admin/badges.json` lists it (https://docs.discourse.org/#tag/Badges/operation/adminListBadges):
 * `badge_type_id` 1 gold, 2 silver, 3 bronze.
 */
export const discourseBadgeSchema = z.object({
  id: discourseId,
  name: z.string().min(1),
  slug: z.string().min(1),
  description: z.string().nullish(),
  badge_type_id: z.number().int(),
});
export type DiscourseBadge = z.input<typeof discourseBadgeSchema>;

/** Who a Discourse user is, as much as a webhook says: user_badge payloads carry the id only. */
export interface DiscourseUserRef {
  id: number;
  username?: string;
  /** The DiscourseConnect external id, when the user payload carries it. */
  external_id?: string;
}

/**
 * What a webhook cannot say by itself. Links (which course a category belongs to, which Canvas
 * user a Discourse user is, which Canvas content a topic mirrors) are the relay's link tables
 * (DESIGN.md section 3b); the rest is Discourse REST. A missing answer skips the event with the
 * reason; never guess (a post of an unlinked category is not a course's). Resolve `undefined`
 * for "not linked" or "not found"; throw on anything transient, so the caller retries.
 */
export interface DiscourseLookup {
  /** The Canvas course a category is linked to. Without it every post is skipped. */
  courseOfCategory?(categoryId: number): Awaitable<string | undefined>;
  /** The Canvas user a Discourse user is linked to (profiles and badges are keyed by it). */
  canvasUserOf?(user: DiscourseUserRef): Awaitable<string | undefined>;
  /** The Canvas page or announcement a topic mirrors (content_edit is keyed by it). */
  contentOfTopic?(topicId: number): Awaitable<MirroredContent | undefined>;
  /** A topic's first post: topic webhooks carry neither the body nor an edit time. */
  firstPost?(topicId: number): Awaitable<FirstPost | undefined>;
  /** A badge's name and slug: user_badge webhooks carry only its id. */
  badge?(badgeId: number): Awaitable<DiscourseBadge | undefined>;
}

import { z } from 'zod';
import { InvalidConfig } from '../../errors.js';
import { canvasId } from '../../events/payloads/common.js';
import { describeZodError } from '../../events/sync-event.js';
import {
  discourseBadgeSchema,
  firstPostSchema,
  mirroredContentSchema,
  type DiscourseLookup,
} from './lookup.js';

const idKey = z.string().regex(/^\d+$/, 'must be a Discourse id');

/**
 * Links and Discourse records written out as JSON, keyed by Discourse id: what `cds map discourse
 * --links FILE` reads, until the relay's link tables exist. Every part is optional:
 * `{"categories": {"12": "565"}, "users": {"1001": "21070000000020001"},
 *   "topics": {"800": {"course_id": "565", "content_type": "page", "content_id": "9001"}},
 *   "first_posts": {"800": {"cooked": "<p>...</p>", "username": "prof_lee", "updated_at": "..."}},
 *   "badges": {"104": {"id": 104, "name": "...", "slug": "...", "badge_type_id": 3}}}`
 */
export const staticDiscourseLinksSchema = z.strictObject({
  categories: z.record(idKey, canvasId).default({}),
  users: z.record(idKey, canvasId).default({}),
  topics: z.record(idKey, mirroredContentSchema).default({}),
  first_posts: z.record(idKey, firstPostSchema).default({}),
  badges: z.record(idKey, discourseBadgeSchema).default({}),
});
export type StaticDiscourseLinks = z.input<typeof staticDiscourseLinksSchema>;

/** A DiscourseLookup answering from fixed links; throws InvalidConfig naming a wrong entry. */
export function staticDiscourseLookup(input: unknown): DiscourseLookup {
  const result = staticDiscourseLinksSchema.safeParse(input);
  if (!result.success)
    throw new InvalidConfig(`invalid Discourse links: ${describeZodError(result.error)}`);
  const links = result.data;
  const get = <T>(table: Record<string, T>, id: number): T | undefined =>
    Object.hasOwn(table, String(id)) ? table[String(id)] : undefined;
  return {
    courseOfCategory: (id) => get(links.categories, id),
    canvasUserOf: (user) => get(links.users, user.id),
    contentOfTopic: (id) => get(links.topics, id),
    firstPost: (id) => get(links.first_posts, id),
    badge: (id) => get(links.badges, id),
  };
}

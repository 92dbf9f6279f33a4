import type { DiscourseLookup } from '@cds/shared';
import type { Db } from '../store/common.js';
import { courseLinkOfCategory, userLinkOfDiscourseUser } from '../store/links.js';

/**
 * What Discourse webhooks do not say, answered from the relay's link tables: the course of a
 * category, the Canvas user of a Discourse account. A post outside every linked category is not a
 * course's and is skipped with the reason.
 */
export function linkedDiscourseLookup(db: Db): DiscourseLookup {
  return {
    courseOfCategory: async (categoryId) => (await courseLinkOfCategory(db, categoryId))?.course_id,
    canvasUserOf: async (user) => (await userLinkOfDiscourseUser(db, user.id))?.canvas_user_id,
  };
}

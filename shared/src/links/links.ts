import { z } from 'zod';
import { canvasId, discourseId, timestamp } from '../events/payloads/common.js';

// The identity map of DESIGN.md section 3b: which Discourse category and group is each Canvas
// course, which Discourse account is each Canvas user. The relay keeps them; deliveries carry
// the ones an item needs, so no receiver ever looks a person up by guessing.

/** How a course link was made. */
export const COURSE_LINK_METHODS = ['created', 'picked', 'admin'] as const;
export type CourseLinkMethod = (typeof COURSE_LINK_METHODS)[number];

/** How a user link was made, in the order the relay tries them (DESIGN.md section 3b). */
export const USER_LINK_METHODS = ['external_id', 'email', 'self_service', 'admin'] as const;
export type UserLinkMethod = (typeof USER_LINK_METHODS)[number];

/** A Discourse username (UsernameValidator: at most 60 characters). */
export const discourseUsername = z.string().min(1).max(60);

/** A Canvas course and the Discourse category and group that are its forum. */
export const courseLinkSchema = z.object({
  course_id: canvasId,
  category_id: discourseId,
  category_name: z.string().min(1).max(200),
  group_id: discourseId,
  group_name: z.string().min(1).max(60),
  method: z.enum(COURSE_LINK_METHODS),
  /** Who made it: `lti:<user>@course:<id>`, `admin`, `cli`... */
  made_by: z.string().min(1).max(200),
  created_at: timestamp,
});
export type CourseLink = z.infer<typeof courseLinkSchema>;

/** A Canvas user and their Discourse account. */
export const userLinkSchema = z.object({
  canvas_user_id: canvasId,
  discourse_user_id: discourseId,
  discourse_username: discourseUsername,
  method: z.enum(USER_LINK_METHODS),
  made_by: z.string().min(1).max(200),
  created_at: timestamp,
});
export type UserLink = z.infer<typeof userLinkSchema>;

/**
 * The links a delivered item needs, resolved by the relay before it went out: the course's
 * category and group, the user's Discourse account (or, for a Discourse change, its Canvas user).
 */
export const itemLinksSchema = z.object({
  course: courseLinkSchema
    .pick({ course_id: true, category_id: true, group_id: true, group_name: true })
    .optional(),
  user: userLinkSchema
    .pick({ canvas_user_id: true, discourse_user_id: true, discourse_username: true })
    .optional(),
});
export type ItemLinks = z.infer<typeof itemLinksSchema>;

import { z } from 'zod';
import { canvasId, discourseId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A badge granted to (or revoked from) a user, by either side; the issuer is its source of truth.
 * Discourse fields follow its badge and user-badge API (OpenAPI in
 * ../shared/reference/discourse_api_docs/: `/admin/badges.json` gives `id`, `name`, `slug`,
 * `badge_type_id` 1 gold / 2 silver / 3 bronze; `POST /user_badges.json` takes `username`,
 * `badge_id`, `reason`). Canvas-issued badges come from Canvas Credentials (Open Badges assertions).
 */
export const badgeV1 = z.object({
  issuer: z.enum(['canvas', 'discourse']),
  /** Stable across both sides: the Discourse badge slug, e.g. `python-fundamentals`. */
  badge_slug: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'must be a lower-case slug like python-fundamentals'),
  name: z.string().min(1).max(100),
  description: z.string().max(1000).optional(),
  badge_type: z.enum(['gold', 'silver', 'bronze']).default('bronze'),
  discourse_badge_id: discourseId.optional(),
  canvas_user_id: canvasId,
  discourse_user_id: discourseId.optional(),
  /** The course the badge was earned in, if any. */
  course_id: canvasId.optional(),
  /** Shown on the Discourse user badge (a link to the post or course that earned it). */
  reason: z.string().max(1000).optional(),
  granted_at: timestamp,
  revoked: z.boolean().default(false),
});
export type BadgeV1 = z.infer<typeof badgeV1>;

export const badgeKey = (p: BadgeV1): string => `user:${p.canvas_user_id}/badge:${p.badge_slug}`;

/** Odd `seq`: a Canvas course badge; even: a Discourse forum badge. */
export function badgeExample(seq: number): BadgeV1 {
  const fromDiscourse = seq % 2 === 0;
  return {
    issuer: fromDiscourse ? 'discourse' : 'canvas',
    badge_slug: fromDiscourse ? 'helpful-classmate' : 'python-fundamentals',
    name: fromDiscourse ? 'Helpful classmate' : 'Python fundamentals',
    badge_type: fromDiscourse ? 'silver' : 'bronze',
    ...(fromDiscourse
      ? { discourse_badge_id: 104, discourse_user_id: 1000 + seq }
      : { course_id: '565' }),
    canvas_user_id: exampleCanvasId(seq, 20000),
    granted_at: exampleTime(seq),
    revoked: false,
  };
}

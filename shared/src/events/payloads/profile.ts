import { z } from 'zod';
import { PROFILE_FIELD_OWNERS } from '../../policies/table.js';
import { canvasId, discourseId, exampleCanvasId } from './common.js';

/**
 * The profile fields kept in step, each owned by one side (PROFILE_FIELD_OWNERS). A producer sends
 * only the fields that changed. Canvas fields follow the Users API
 * (https://canvas.instructure.com/doc/api/users.html#User: `name`, `sortable_name`, `short_name`,
 * `email`, `time_zone`, `locale`); Discourse fields follow `PUT /u/{username}.json` in its OpenAPI
 * document (`bio_raw`, `website`, `location`, `title`) and the user's `avatar_template`.
 */
export const profileV1 = z
  .object({
    /** Identity: which person this is. Not merged, not overwritten. */
    canvas_user_id: canvasId,
    discourse_user_id: discourseId.optional(),
    name: z.string().min(1).max(255).optional(),
    sortable_name: z.string().min(1).max(255).optional(),
    short_name: z.string().min(1).max(255).optional(),
    email: z.email().optional(),
    /** An IANA zone name such as `America/Denver`. */
    time_zone: z
      .string()
      .regex(/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone')
      .optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/, 'must be a locale like en or pt-BR')
      .optional(),
    bio_raw: z.string().max(3000).optional(),
    avatar_url: z.url().optional(),
    website: z.url().or(z.literal('')).optional(),
    location: z.string().max(100).optional(),
    title: z.string().max(100).optional(),
  })
  .refine((p) => Object.keys(p).some((field) => field in PROFILE_FIELD_OWNERS), {
    message: `a profile change must carry at least one of: ${Object.keys(PROFILE_FIELD_OWNERS).join(', ')}`,
  });
export type ProfileV1 = z.infer<typeof profileV1>;

export const profileKey = (p: ProfileV1): string => `user:${p.canvas_user_id}`;

/** Odd `seq`: a name change from Canvas; even: a bio and avatar change from Discourse. */
export function profileExample(seq: number): ProfileV1 {
  const canvas_user_id = exampleCanvasId(seq, 20000);
  if (seq % 2 === 1) {
    return {
      canvas_user_id,
      name: `Ada Student ${seq}`,
      sortable_name: `Student ${seq}, Ada`,
      short_name: 'Ada',
    };
  }
  return {
    canvas_user_id,
    discourse_user_id: 1000 + seq,
    bio_raw: `Second-year student ${seq}; I like graph algorithms.`,
    avatar_url: `https://forum.school.example.edu/user_avatar/forum.school.example.edu/student${seq}/240/${seq}_2.png`,
  };
}

import { z } from 'zod';
import { discourseId, exampleTime, timestamp } from './common.js';

/**
 * A post in a Discourse topic of a course's category. Fields are those of Discourse's `post`
 * webhook payload (`{"post": {...}}`, WebHookPostSerializer; see
 * ../shared/reference/discourse/webhook_payload_keys.json) and of `GET /posts/{id}.json` in the
 * Discourse OpenAPI document. The relay batches them into one participation score per student and
 * course (DESIGN.md section 3).
 */
export const forumPostV1 = z.object({
  id: discourseId,
  topic_id: discourseId,
  post_number: z.number().int().positive(),
  user_id: z.number().int(),
  username: z.string().min(1).max(60),
  category_id: discourseId.nullable(),
  /** The Markdown the author wrote. */
  raw: z.string().max(65_536),
  word_count: z.number().int().nonnegative().optional(),
  reply_to_post_number: z.number().int().positive().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  deleted_at: timestamp.nullable(),
});
export type ForumPostV1 = z.infer<typeof forumPostV1>;

export const forumPostKey = (p: ForumPostV1): string => `topic:${p.topic_id}/post:${p.id}`;

/** Posts of five students in one course category, spread over four topics. */
export function forumPostExample(seq: number): ForumPostV1 {
  const user = 1000 + (seq % 5);
  return {
    id: 5000 + seq,
    topic_id: 800 + (seq % 4),
    post_number: 2 + Math.floor(seq / 4),
    user_id: user,
    username: `student${user}`,
    category_id: 12,
    raw: `Reply ${seq}: I think the loop invariant holds because the index only grows.`,
    word_count: 13,
    reply_to_post_number: 1,
    created_at: exampleTime(seq),
    updated_at: exampleTime(seq),
    deleted_at: null,
  };
}

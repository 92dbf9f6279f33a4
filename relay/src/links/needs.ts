import { PAYLOAD_SCHEMAS_V1, type DeliveryItem } from '@cds/shared';

/**
 * A link a delivered item needs before its target can take it (DESIGN.md section 3b): the
 * course's category and group, a Canvas user's Discourse account, or, for a Discourse change,
 * the course of its category and the Canvas user of its author.
 */
export type LinkNeed =
  | { kind: 'course'; courseId: string }
  | { kind: 'category'; categoryId: number }
  | { kind: 'user'; canvasUserId: string }
  | { kind: 'discourse_user'; discourseUserId: number; username?: string };

/** How a need is stored with a waiting delivery and found again when its link appears. */
export function needKey(need: LinkNeed): string {
  switch (need.kind) {
    case 'course':
      return `course:${need.courseId}`;
    case 'category':
      return `category:${need.categoryId}`;
    case 'user':
      return `user:${need.canvasUserId}`;
    case 'discourse_user':
      return `discourse_user:${need.discourseUserId}`;
  }
}

/** A need as `needKey` wrote it, or undefined for anything else. */
export function parseNeed(key: string): LinkNeed | undefined {
  const match = /^(course|category|user|discourse_user):(\d{1,20})$/.exec(key);
  if (!match) return undefined;
  const [, kind, id] = match as unknown as [string, LinkNeed['kind'], string];
  switch (kind) {
    case 'course':
      return { kind, courseId: id };
    case 'user':
      return { kind, canvasUserId: id };
    case 'category':
      return { kind, categoryId: Number(id) };
    case 'discourse_user':
      return { kind, discourseUserId: Number(id) };
  }
}

/** The status words of a need that has no link: `pending: course not linked`... */
export function pendingWords(need: LinkNeed): string {
  return need.kind === 'course' || need.kind === 'category'
    ? 'pending: course not linked'
    : 'pending: user not linked';
}

/**
 * What a Discourse change needs to be written to Canvas: a forum post counts for the Canvas user
 * of its author, in the course of its category. Other items need nothing.
 */
export function canvasSideNeeds(item: DeliveryItem): LinkNeed[] {
  if (item.entity !== 'forum_post' || item.op !== 'upsert' || item.value === null) return [];
  const post = PAYLOAD_SCHEMAS_V1.forum_post.safeParse(item.value);
  if (!post.success) return []; // the receiver refuses it with the reason
  const needs: LinkNeed[] = [
    { kind: 'discourse_user', discourseUserId: post.data.user_id, username: post.data.username },
  ];
  if (post.data.category_id !== null)
    needs.unshift({ kind: 'category', categoryId: post.data.category_id });
  return needs;
}

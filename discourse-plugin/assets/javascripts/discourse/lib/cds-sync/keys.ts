// The relay's entity keys for what Discourse shows (shared/src/events/payloads/*: forumPostKey,
// profileKey, contentEditKey). A model without what its key needs has no key, and so no badge.

export interface PostLike {
  id?: unknown;
  topic_id?: unknown;
}

export interface UserLike {
  /** The Canvas user id the plugin serializes for linked users (profile keys are Canvas ids). */
  cds_canvas_user_id?: unknown;
}

export interface TopicLike {
  /** The relay key of a mirrored Canvas item (e.g. `course:42/announcement:7`), serialized. */
  cds_sync_key?: unknown;
}

const id = (v: unknown): string | null =>
  (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) ||
  (typeof v === 'string' && /^\d{1,20}$/.test(v))
    ? String(v)
    : null;

/** `topic:<topic_id>/post:<post_id>` as forum_post events are keyed. */
export function postKey(post: PostLike | null | undefined): string | null {
  const topic = id(post?.topic_id);
  const self = id(post?.id);
  return topic && self ? `topic:${topic}/post:${self}` : null;
}

/** `user:<canvas_user_id>` as profile events are keyed. */
export function userKey(user: UserLike | null | undefined): string | null {
  const canvas = id(user?.cds_canvas_user_id);
  return canvas ? `user:${canvas}` : null;
}

export function topicKey(topic: TopicLike | null | undefined): string | null {
  const key = topic?.cds_sync_key;
  return typeof key === 'string' && /^[a-z_]+:[^/\s]+(\/[a-z_]+:[^/\s]+)*$/.test(key) ? key : null;
}

/** The Canvas course id a category is linked to (category custom field `cds_course_id`). */
export function linkedCourseOf(category: { custom_fields?: unknown } | null | undefined) {
  const fields = category?.custom_fields;
  if (typeof fields !== 'object' || fields === null) return null;
  return id((fields as Record<string, unknown>).cds_course_id);
}

/**
 * The Canvas course an entity key belongs to (`course:42/...`, `completion:42/...`), or null for
 * keys of no one course (forum posts `topic:...`, profiles `user:...`).
 */
export function courseOfKey(key: string | undefined): string | null {
  const match = /^(?:course|completion):(\d{1,20})(?:\/|$)/.exec(key ?? '');
  return match ? match[1]! : null;
}

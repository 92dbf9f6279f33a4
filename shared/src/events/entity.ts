/**
 * The kinds of thing canvas-discourse-sync keeps in step (DESIGN.md section 3), and
 * `sync_request`: a person's "sync this course now", which each side takes as a trigger.
 */
export const ENTITY_TYPES = [
  'grade',
  'exam_result',
  'certificate',
  'course_completion',
  'badge',
  'assignment_submission',
  'enrollment',
  'forum_post',
  'profile',
  'content_edit',
  'sync_request',
] as const;

export type EntityType = (typeof ENTITY_TYPES)[number];

/** Where a change came from. `manual` is a person acting through the relay (e.g. resolving a conflict). */
export const SOURCES = ['canvas', 'discourse', 'manual'] as const;
export type Source = (typeof SOURCES)[number];

export function isEntityType(value: string): value is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(value);
}

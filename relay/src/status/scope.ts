import { CdsError } from '@cds/shared';
import type { Principal } from '../http/auth.js';

/** Every key of one course: its entities and its completions. */
export function coursePatterns(course: string): string[] {
  return [`course:${course}/%`, `completion:${course}/%`];
}

/**
 * Which entity keys a principal may read (undefined: all of them). Patterns are SQL LIKE prefixes
 * (a trailing `%`) or exact keys; ids are digits only (checked by the tokens' schemas), so they
 * need no escaping.
 *
 * - The admin token reads everything.
 * - A course token (the LTI tool's) reads the keys of its course (`course:<id>/...`, and course
 *   completions `completion:<id>/...`); a student's only those that name them
 *   (`course:<id>/user:<me>/...`, `completion:<id>/user:<me>`).
 * - A Discourse token (the plugin's), by the user's role in Discourse:
 *   - admin: everything the admin token reads, and the same actions (resolve a conflict, replay a
 *     dead letter), audited under their name; never `/metrics` or key management, which stay with
 *     RELAY_ADMIN_TOKEN and the CLI.
 *   - moderator (a site moderator, staff in Discourse): what Discourse already shows staff: every
 *     forum post (`topic:<id>/post:<id>`) and every person's profile and badges (`user:<id>`,
 *     `user:<id>/...`), and the courses linked to the categories they moderate (the `categories`
 *     of their token, through the course links of DESIGN.md section 3b).
 *   - user (anyone else): the courses linked to the categories they moderate through category
 *     group moderation, if any; nothing else.
 */
export function keyPatternsOf(principal: Principal): string[] | undefined {
  switch (principal.kind) {
    case 'admin':
      return undefined;
    case 'course':
      if (principal.role === 'student') {
        return [
          `course:${principal.course}/user:${principal.user}/%`,
          `completion:${principal.course}/user:${principal.user}`,
        ];
      }
      return coursePatterns(principal.course);
    case 'discourse': {
      if (principal.role === 'admin') return undefined;
      const courses = principal.courses.flatMap(coursePatterns);
      if (principal.role === 'moderator') return ['topic:%', 'user:%', ...courses];
      return courses;
    }
  }
}

/** Whether `key` is one the principal may read (the same rule as keyPatternsOf, in memory). */
export function keyVisibleTo(principal: Principal, key: string): boolean {
  const patterns = keyPatternsOf(principal);
  if (!patterns) return true;
  return patterns.some((p) => (p.endsWith('%') ? key.startsWith(p.slice(0, -1)) : key === p));
}

/** Whether the principal may act (resolve a conflict, replay a dead letter) on a key it reads. */
export function mayAct(principal: Principal): boolean {
  switch (principal.kind) {
    case 'admin':
      return true;
    case 'course':
      return principal.role === 'instructor';
    case 'discourse':
      return principal.role !== 'user';
  }
}

/** The audit actor of a person acting through the status API. */
export function actorOf(principal: Principal): string {
  switch (principal.kind) {
    case 'admin':
      return 'admin';
    case 'course':
      return `lti:${principal.user}@course:${principal.course}`;
    case 'discourse':
      return `discourse:${principal.username}#${principal.user}`;
  }
}

function describe(principal: Principal): string {
  switch (principal.kind) {
    case 'admin':
      return 'the admin token';
    case 'course':
      return principal.role === 'student'
        ? `your token (course ${principal.course}, as a student: only your own entities)`
        : `your token (course ${principal.course})`;
    case 'discourse':
      return principal.role === 'moderator'
        ? `your Discourse token (${principal.username}, moderator: forum posts, profiles, badges and the courses of the categories you moderate)`
        : `your Discourse token (${principal.username}: the courses of the categories you moderate, ${principal.courses.length === 0 ? 'none linked' : principal.courses.join(', ')})`;
  }
}

/** 403 unless the principal may read `key`, naming what the token covers. */
export function requireKey(principal: Principal, key: string): void {
  if (!keyVisibleTo(principal, key))
    throw new CdsError('ERR_FORBIDDEN', `${describe(principal)} does not cover entity ${key}`);
}

/**
 * 403 unless the principal reads course `course`'s status: an admin, a launch of that course, or a
 * Discourse moderator of a category linked to it.
 */
export function requireCourse(principal: Principal, course: string): void {
  if (keyPatternsOf(principal) === undefined) return;
  if (principal.kind === 'discourse' && principal.courses.includes(course)) return;
  if (principal.kind !== 'course' || principal.course !== course)
    throw new CdsError('ERR_FORBIDDEN', `${describe(principal)} does not cover course ${course}`);
}

/** 403 for anything but an admin (the admin token or a Discourse admin), saying what to read instead. */
export function requireAdmin(principal: Principal, what: string): void {
  if (keyPatternsOf(principal) === undefined) return;
  throw new CdsError(
    'ERR_FORBIDDEN',
    principal.kind === 'course'
      ? `${what} needs the admin token; a course token reads GET /v1/status/courses/${principal.course}`
      : `${what} needs the admin token or a Discourse admin's token; ${describe(principal)} reads GET /v1/status/entities?key=...`,
  );
}

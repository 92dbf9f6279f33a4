import { CdsError } from '@cds/shared';
import type { Principal } from '../http/auth.js';

/**
 * Which entity keys a principal may read. An admin reads everything; a course token reads the keys
 * of its course (`course:<id>/...`, and course completions `completion:<id>/...`); a student's
 * token only those that name them (`course:<id>/user:<me>/...`, `completion:<id>/user:<me>`).
 * Patterns are SQL LIKE prefixes; ids are digits only (checked by the token's schema), so they
 * need no escaping.
 */
export function keyPatternsOf(principal: Principal): string[] | undefined {
  if (principal.kind === 'admin') return undefined;
  if (principal.role === 'student') {
    return [
      `course:${principal.course}/user:${principal.user}/%`,
      `completion:${principal.course}/user:${principal.user}`,
    ];
  }
  return [`course:${principal.course}/%`, `completion:${principal.course}/%`];
}

/** Whether `key` is one the principal may read (the same rule as keyPatternsOf, in memory). */
export function keyVisibleTo(principal: Principal, key: string): boolean {
  const patterns = keyPatternsOf(principal);
  if (!patterns) return true;
  return patterns.some((p) => (p.endsWith('%') ? key.startsWith(p.slice(0, -1)) : key === p));
}

function describe(principal: Principal): string {
  return principal.kind === 'admin'
    ? 'the admin token'
    : principal.role === 'student'
      ? `your token (course ${principal.course}, as a student: only your own entities)`
      : `your token (course ${principal.course})`;
}

/** 403 unless the principal may read `key`, naming what the token covers. */
export function requireKey(principal: Principal, key: string): void {
  if (!keyVisibleTo(principal, key))
    throw new CdsError('ERR_FORBIDDEN', `${describe(principal)} does not cover entity ${key}`);
}

/** 403 unless the principal reads all of course `course`'s status (admin or its instructor). */
export function requireCourse(principal: Principal, course: string): void {
  if (principal.kind === 'admin') return;
  if (principal.course !== course)
    throw new CdsError('ERR_FORBIDDEN', `${describe(principal)} does not cover course ${course}`);
}

/** 403 for anything but the admin token, saying what a course token can read instead. */
export function requireAdmin(principal: Principal, what: string): void {
  if (principal.kind !== 'admin')
    throw new CdsError(
      'ERR_FORBIDDEN',
      `${what} needs the admin token; a course token reads GET /v1/status/courses/${principal.course}`,
    );
}

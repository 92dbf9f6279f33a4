// The relay's links (DESIGN.md section 3b) as the status panels say them: which course is which
// category, how people were linked, and what waits for a link. Pure, so the admin page and the
// category panel say the same words.
import {
  type CourseLinkMethod,
  type CourseLinkView,
  type LinkWait,
  type LinksOverview,
  USER_LINK_METHODS,
  type UserLinkMethod,
} from './status';
import { plural } from './format';

export const COURSE_METHOD_LABELS: Record<CourseLinkMethod, string> = {
  created: 'created from Canvas',
  picked: 'picked from Canvas',
  admin: 'by an admin',
};

export const USER_METHOD_LABELS: Record<UserLinkMethod, string> = {
  external_id: 'external_id (identity provider)',
  email: 'verified e-mail',
  self_service: 'self-service (Link my forum account)',
  admin: 'by an admin',
};

/** `2026-11-26T10:00:00.000Z` as `2026-11-26 10:00 UTC`; what is not a time stays as it came. */
export function formatWhen(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The link a wait needs, in words: `course:42` -> `Canvas course 42 to a Discourse category`. */
export function needLabel(need: string): string {
  const [kind, id] = need.split(':', 2);
  switch (kind) {
    case 'course':
      return `Canvas course ${id} to a Discourse category`;
    case 'category':
      return `Discourse category ${id} to a Canvas course`;
    case 'user':
      return `Canvas user ${id} to a forum account`;
    case 'discourse_user':
      return `Discourse user ${id} to a Canvas user`;
    default:
      return need;
  }
}

export interface CourseLinkRow {
  courseId: string;
  category: string;
  group: string;
  method: string;
  by: string;
  when: string;
}

export function courseLinkRow(link: CourseLinkView): CourseLinkRow {
  return {
    courseId: link.course_id,
    category: `${link.category_name} (#${link.category_id})`,
    group: link.group_name,
    method: COURSE_METHOD_LABELS[link.method],
    by: link.made_by,
    when: formatWhen(link.created_at),
  };
}

/** How many users each method linked, every method listed (a 0 says it found no one). */
export function usersByMethod(overview: LinksOverview) {
  const counts = new Map<UserLinkMethod, number>(USER_LINK_METHODS.map((m) => [m, 0]));
  for (const user of overview.users) counts.set(user.method, (counts.get(user.method) ?? 0) + 1);
  return USER_LINK_METHODS.map((method) => ({
    method,
    label: USER_METHOD_LABELS[method],
    users: plural(counts.get(method) ?? 0, 'user'),
  }));
}

export interface WaitRow {
  need: string;
  link: string;
  events: string;
  reason: string;
}

export function waitRow(wait: LinkWait): WaitRow {
  return {
    need: wait.need,
    link: needLabel(wait.need),
    events: plural(wait.count, 'event'),
    reason: wait.reason,
  };
}

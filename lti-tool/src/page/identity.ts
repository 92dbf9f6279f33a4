// Who is looking at the page, and at which course: read from the verified launch only (ltijs keeps
// the id_token's claims server-side behind the ltik), never from a request the browser makes.
// Roles: LTI 1.3 core, role vocabularies https://www.imsglobal.org/spec/lti/v1p3/#role-vocabularies
// Canvas ids: custom fields with Canvas's variable substitutions (tool-description.ts CUSTOM_FIELDS),
// https://canvas.instructure.com/doc/api/file.tools_variable_substitutions.html
import type { IdToken } from 'ltijs';
import { Forbidden } from '@cds/shared';
import { canvasIdOnShard } from '@cds/shared';

export type PageRole = 'instructor' | 'student';

export interface PageIdentity {
  /** The Canvas course id, in the form the events' keys carry (see `canvasIds`). */
  course: string;
  /** The launching user's Canvas id, in the same form. */
  user: string;
  role: PageRole;
  courseTitle: string;
  /** The launch's `name` claim, when Canvas sends it (privacy level public or name_only). */
  userName: string | undefined;
}

const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership';
const INSTITUTION = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#';
const SYSTEM = 'http://purl.imsglobal.org/vocab/lis/v2/system/person#';

/** Context roles that see the whole course (TAs are `membership/Instructor#TeachingAssistant`). */
const STAFF_CONTEXT_ROLES = [
  'Instructor',
  'TeachingAssistant',
  'ContentDeveloper',
  'Administrator',
];

/**
 * Instructor view for the course's staff, student view otherwise. Only roles in *this* context
 * count (the membership vocabulary), plus institution and system administrators: Canvas also sends
 * institution roles a person holds elsewhere (`$com.instructure.User.allRoles`), and a student who
 * teaches another course must not see this one's instructor view.
 */
export function pageRole(roles: readonly string[]): PageRole {
  for (const role of roles) {
    if (role.startsWith(`${MEMBERSHIP}#`) || role.startsWith(`${MEMBERSHIP}/`)) {
      const [principal = '', sub = ''] = role.slice(MEMBERSHIP.length + 1).split('#');
      if (STAFF_CONTEXT_ROLES.includes(principal) || STAFF_CONTEXT_ROLES.includes(sub))
        return 'instructor';
    }
    if (role === `${INSTITUTION}Administrator` || role === `${SYSTEM}Administrator`)
      return 'instructor';
  }
  return 'student';
}

const DIGITS = /^\d{1,20}$/;

/**
 * The Canvas ids of the launch, as the events' keys carry them: global ids, as Live Events send
 * them (`21070000000000565`: shard 2107, local id 565) and the poller keys its events. The launch
 * gives them directly with `$com.instructure.Context.globalId` and `$Canvas.user.globalId` (custom
 * fields `canvas_course_global_id`, `canvas_user_global_id`); `$Canvas.course.id` and
 * `$Canvas.user.id` are local ids on the course's shard, made global with the shard from the
 * launch (`canvas_shard_id` = `$Canvas.shard.id`) or CANVAS_SHARD_ID; without a shard they are
 * used as they are (a Canvas whose ids are not prefixed).
 */
export function canvasIds(
  custom: Record<string, unknown> | undefined,
  shardId?: string,
): { course: string; user: string } {
  const launchShard = custom?.canvas_shard_id;
  const shard = typeof launchShard === 'string' && DIGITS.test(launchShard) ? launchShard : shardId;
  const pick = (global: string, local: string, what: string, variable: string): string => {
    const direct = custom?.[global];
    if (typeof direct === 'string' && DIGITS.test(direct)) return direct;
    const value = custom?.[local];
    if (typeof value === 'string' && DIGITS.test(value))
      return (shard && canvasIdOnShard(value, BigInt(shard))) || value;
    throw new Forbidden(
      `This launch does not say which Canvas ${what} it is for: its custom field "${local}" is ${
        typeof value === 'string' ? `"${value}", not an id` : 'missing'
      }. Canvas sends it when the tool's configuration has ${local}=${variable}; ask your Canvas administrator to install the tool again from /lti/config.json or /lti/register.`,
    );
  };
  return {
    course: pick('canvas_course_global_id', 'canvas_course_id', 'course', '$Canvas.course.id'),
    user: pick('canvas_user_global_id', 'canvas_user_id', 'user', '$Canvas.user.id'),
  };
}

/** The page's identity from ltijs's verified launch (`res.locals.token`). */
export function pageIdentity(token: IdToken, shardId?: string): PageIdentity {
  const context = token.platformContext;
  const { course, user } = canvasIds(context.custom, shardId);
  const name =
    typeof token.userInfo === 'object' && token.userInfo !== null
      ? (token.userInfo as { name?: unknown }).name
      : undefined;
  return {
    course,
    user,
    role: pageRole(context.roles ?? []),
    courseTitle: context.context?.title ?? context.context?.label ?? `course ${course}`,
    userName: typeof name === 'string' && name ? name : undefined,
  };
}

/**
 * What the launch says of its user, for the relay's automatic user links (DESIGN.md 3b): the
 * id_token's `sub` (LTI 1.3 core 5.3.6) and `email` (OIDC standard claim, sent at privacy level
 * public), and the SIS and login ids from the custom fields (tool-description.ts). Canvas sends a
 * variable it cannot expand as written (`$Canvas.user.sisSourceId`): such values are left out.
 */
export function launchFacts(token: IdToken): {
  lti_sub?: string;
  sis_user_id?: string;
  login_id?: string;
  email?: string;
} {
  const custom = token.platformContext?.custom ?? {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() !== '' && !value.startsWith('$')
      ? value.trim().slice(0, 255)
      : undefined;
  const info =
    typeof token.userInfo === 'object' && token.userInfo !== null
      ? (token.userInfo as { email?: unknown })
      : {};
  const email = text(info.email);
  const facts = {
    lti_sub: text(token.user),
    sis_user_id: text(custom.canvas_user_sis_id),
    login_id: text(custom.canvas_user_login_id),
    email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined,
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
}

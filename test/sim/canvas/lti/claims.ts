// The claims of the id_token Canvas sends on an LtiResourceLinkRequest.
// IMS LTI 1.3 core, section 5 (message claims): https://www.imsglobal.org/spec/lti/v1p3/#required-message-claims
// Canvas's claims (lib/lti/messages/jwt_message.rb): https://canvas.instructure.com/doc/api/file.lti_launch_overview.html
import {
  globalId,
  SHARD_ID,
  type CanvasState,
  type Course,
  type EnrollmentType,
  type User,
} from '../state.js';
import { opaqueId, type LtiRegistration } from './store.js';

export const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
export const AGS_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
export const NRPS_CLAIM = 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice';
export const PLACEMENT_CLAIM = 'https://www.instructure.com/placement';

export const SCOPES = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadOnly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultReadOnly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

/** What Canvas lists in its openid configuration's scopes_supported (docs: file.registration). */
export const SCOPES_SUPPORTED = [
  SCOPES.lineItem,
  SCOPES.lineItemReadOnly,
  SCOPES.resultReadOnly,
  SCOPES.score,
  SCOPES.nrps,
  'https://canvas.instructure.com/lti/public_jwk/scope/update',
  'https://canvas.instructure.com/lti/account_lookup/scope/show',
  'https://canvas.instructure.com/lti-ags/progress/scope/show',
];

const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership#';
const INSTITUTION = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#';
const SYSTEM_USER = 'http://purl.imsglobal.org/vocab/lis/v2/system/person#User';

/** Context membership roles (LIS v2) of each Canvas enrollment type, as NRPS lists them. */
export const MEMBERSHIP_ROLES: Record<EnrollmentType, string[]> = {
  TeacherEnrollment: [`${MEMBERSHIP}Instructor`],
  TaEnrollment: [`${MEMBERSHIP}Instructor`, `${MEMBERSHIP}Instructor#TeachingAssistant`],
  DesignerEnrollment: [`${MEMBERSHIP}ContentDeveloper`],
  StudentEnrollment: [`${MEMBERSHIP}Learner`],
  ObserverEnrollment: [`${MEMBERSHIP}Mentor`],
};

const INSTITUTION_ROLES: Partial<Record<EnrollmentType, string>> = {
  TeacherEnrollment: `${INSTITUTION}Instructor`,
  StudentEnrollment: `${INSTITUTION}Student`,
};

/** The active enrollment types of a user in a course. */
export function enrollmentTypes(
  state: CanvasState,
  courseId: number,
  userId: number,
): EnrollmentType[] {
  return state
    .list(state.enrollments, (e) => e.course_id === courseId && e.user_id === userId)
    .filter((e) => e.enrollment_state === 'active')
    .map((e) => e.type);
}

/** The roles claim: Canvas's `$com.instructure.User.allRoles` (institution, membership, system). */
export function launchRoles(types: EnrollmentType[]): string[] {
  const roles = new Set<string>();
  for (const type of types) {
    const institution = INSTITUTION_ROLES[type];
    if (institution) roles.add(institution);
  }
  for (const type of types) for (const role of MEMBERSHIP_ROLES[type]) roles.add(role);
  roles.add(SYSTEM_USER);
  return [...roles];
}

/**
 * Custom parameters with Canvas's variable substitutions expanded; an unknown `$Variable` is sent
 * as written, as Canvas does. https://canvas.instructure.com/doc/api/file.tools_variable_substitutions.html
 */
export function expandCustom(
  custom: Record<string, string>,
  ctx: { course: Course; user: User; types: EnrollmentType[]; issuer: string },
): Record<string, string> {
  const values: Record<string, string> = {
    '$Canvas.user.id': String(ctx.user.id),
    '$Canvas.user.loginId': ctx.user.login_id,
    '$Canvas.user.sisid': ctx.user.sis_user_id ?? '',
    // Only with a SIS login; otherwise Canvas sends the variable's name (PSEUDONYM_GUARD).
    ...(ctx.user.sis_user_id ? { '$Canvas.user.sisSourceId': ctx.user.sis_user_id } : {}),
    '$Canvas.course.id': String(ctx.course.id),
    // https://canvas.instructure.com/doc/api/file.tools_variable_substitutions.html
    '$com.instructure.Context.globalId': globalId(ctx.course.id),
    '$Canvas.user.globalId': globalId(ctx.user.id),
    '$Canvas.shard.id': SHARD_ID,
    '$Canvas.course.name': ctx.course.name,
    '$Canvas.course.sisSourceId': ctx.course.sis_course_id ?? '',
    '$Canvas.api.domain': new URL(ctx.issuer).host,
    '$Canvas.api.baseUrl': ctx.issuer,
    '$Canvas.membership.roles': ctx.types.join(','),
    '$Context.id': opaqueId('Course', ctx.course.id),
    '$Context.title': ctx.course.name,
    '$Person.name.full': ctx.user.name,
    '$Person.email.primary': ctx.user.email,
    '$User.id': String(ctx.user.id),
    '$com.instructure.User.allRoles': launchRoles(ctx.types).join(','),
  };
  return Object.fromEntries(
    Object.entries(custom).map(([key, value]) => [key, values[value] ?? value]),
  );
}

export interface LaunchClaimsInput {
  issuer: string;
  registration: LtiRegistration;
  deploymentId: string;
  course: Course;
  user: User;
  types: EnrollmentType[];
  placement: string;
  targetLinkUri: string;
  custom: Record<string, string>;
  nonce: string;
  accountName: string;
}

/** The id_token payload (without iat/exp, set at signing). */
export function launchClaims(input: LaunchClaimsInput): Record<string, unknown> {
  const { issuer, registration: reg, course, user } = input;
  const contextId = opaqueId('Course', course.id);
  const [given, ...family] = user.name.split(' ');
  const claims: Record<string, unknown> = {
    iss: issuer,
    aud: reg.clientId,
    azp: reg.clientId,
    sub: user.lti_id,
    nonce: input.nonce,
    [`${LTI}message_type`]: 'LtiResourceLinkRequest',
    [`${LTI}version`]: '1.3.0',
    [`${LTI}deployment_id`]: input.deploymentId,
    [`${LTI}target_link_uri`]: input.targetLinkUri,
    // A launch from course navigation has no resource link of its own: Canvas uses the context's id.
    [`${LTI}resource_link`]: { id: contextId, description: null, title: course.name },
    [`${LTI}roles`]: launchRoles(input.types),
    [`${LTI}context`]: {
      id: contextId,
      label: course.course_code,
      title: course.name,
      type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'],
    },
    [`${LTI}custom`]: input.custom,
    [`${LTI}tool_platform`]: {
      guid: `${opaqueId('Account', 1)}:canvas-lms`,
      name: input.accountName,
      version: 'cloud',
      product_family_code: 'canvas',
    },
    [`${LTI}launch_presentation`]: {
      document_target: 'iframe',
      return_url: `${issuer}/courses/${course.id}/external_content/success/external_tool_redirect`,
      locale: 'en',
    },
    [`${LTI}lti11_legacy_user_id`]: opaqueId('User', user.id),
    [`${LTI}lti1p1`]: { user_id: opaqueId('User', user.id) },
    locale: 'en',
    [PLACEMENT_CLAIM]: input.placement,
  };
  if (reg.privacyLevel === 'public' || reg.privacyLevel === 'name_only') {
    Object.assign(claims, { name: user.name, given_name: given, family_name: family.join(' ') });
    claims[`${LTI}lis`] = {
      person_sourcedid: user.sis_user_id,
      course_offering_sourcedid: course.sis_course_id,
    };
  }
  if (reg.privacyLevel === 'public' || reg.privacyLevel === 'email_only') claims.email = user.email;
  if (reg.privacyLevel === 'public') claims.picture = user.avatar_url;

  // https://www.imsglobal.org/spec/lti-ags/v2p0/#assignment-and-grade-service-claim
  const agsScopes = reg.scopes.filter((s) =>
    s.startsWith('https://purl.imsglobal.org/spec/lti-ags/'),
  );
  if (agsScopes.length > 0) {
    claims[AGS_CLAIM] = {
      scope: agsScopes,
      lineitems: `${issuer}/api/lti/courses/${course.id}/line_items`,
    };
  }
  // https://www.imsglobal.org/spec/lti-nrps/v2p0#lti-1-3-integration
  if (reg.scopes.includes(SCOPES.nrps)) {
    claims[NRPS_CLAIM] = {
      context_memberships_url: `${issuer}/api/lti/courses/${course.id}/names_and_roles`,
      service_versions: ['2.0'],
    };
  }
  return claims;
}

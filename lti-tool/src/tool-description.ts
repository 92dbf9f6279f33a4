// What the tool asks Canvas for, shared by the developer-key JSON and dynamic registration so the
// two install paths configure the same thing.

/** The tool's routes; ltijs serves login, launch, keys and register, we add config.json. */
export const LTI_ROUTES = {
  login: '/lti/login',
  launch: '/lti/launch',
  keys: '/lti/keys',
  register: '/lti/register',
  config: '/lti/config.json',
} as const;

/** Live Events intake (DESIGN.md section 8): Canvas posts here without an LTI session. */
export const CANVAS_INTAKE_ROUTE = '/v1/intake/canvas';

export const TOOL_TITLE = 'Canvas Discourse Sync';
export const TOOL_ID = 'canvas-discourse-sync';
export const TOOL_DESCRIPTION =
  "Keeps this course's Discourse forum in sync with Canvas: sync status, conflicts and dead letters for instructors.";
export const PLACEMENT_TEXT = 'Discourse Sync';

/**
 * LTI Advantage scopes: AGS to publish participation grades (line items, scores, reading results)
 * and NRPS to read the roster. https://www.imsglobal.org/spec/lti-ags/v2p0#scopes,
 * https://www.imsglobal.org/spec/lti-nrps/v2p0#scope-and-allowed-http-methods
 */
export const TOOL_SCOPES = [
  'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
] as const;

/**
 * Names and e-mail are sent so user links can match on a verified e-mail (DESIGN.md section 3b).
 * https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html (privacy_level)
 */
export const PRIVACY_LEVEL = 'public';

/**
 * Canvas's REST ids, which the LTI context id is not: the tool reads courses and users through
 * REST. https://canvas.instructure.com/doc/api/file.tools_variable_substitutions.html
 */
export const CUSTOM_FIELDS = {
  canvas_course_id: '$Canvas.course.id',
  canvas_user_id: '$Canvas.user.id',
  // Global ids, as Live Events key entities (canvas-lms lib/lti/variable_expander.rb).
  canvas_course_global_id: '$com.instructure.Context.globalId',
  canvas_user_global_id: '$Canvas.user.globalId',
  canvas_shard_id: '$Canvas.shard.id',
  // What the relay may match a Discourse external_id against (DISCOURSE_EXTERNAL_ID sis_user_id
  // or login_id, DESIGN.md 3b). Canvas sends them only with a SIS login, else the variable's name.
  canvas_user_sis_id: '$Canvas.user.sisSourceId',
  canvas_user_login_id: '$Canvas.user.loginId',
} as const;

/** The tool's host (and port), as Canvas matches it. */
export function toolDomain(publicUrl: string): string {
  return new URL(publicUrl).host;
}

export function toolUrl(publicUrl: string, route: string): string {
  return `${publicUrl}${route}`;
}

/** The tool as a platform installs it from `publicUrl`: what both install paths describe. */
export interface ToolInstall {
  title: string;
  description: string;
  toolId: string;
  domain: string;
  loginUrl: string;
  launchUrl: string;
  keysUrl: string;
  scopes: string[];
  privacyLevel: string;
  placementText: string;
  customFields: Record<string, string>;
}

export function toolInstall(publicUrl: string): ToolInstall {
  return {
    title: TOOL_TITLE,
    description: TOOL_DESCRIPTION,
    toolId: TOOL_ID,
    domain: toolDomain(publicUrl),
    loginUrl: toolUrl(publicUrl, LTI_ROUTES.login),
    launchUrl: toolUrl(publicUrl, LTI_ROUTES.launch),
    keysUrl: toolUrl(publicUrl, LTI_ROUTES.keys),
    scopes: [...TOOL_SCOPES],
    privacyLevel: PRIVACY_LEVEL,
    placementText: PLACEMENT_TEXT,
    customFields: { ...CUSTOM_FIELDS },
  };
}

// How tools get into the simulated Canvas: IMS LTI Dynamic Registration as Canvas implements it
// (openid configuration + registration endpoint, both behind a one-time registration token), and
// the manual install of a developer key from Canvas's JSON tool configuration.
// https://www.imsglobal.org/spec/lti-dr/v1p0
// https://canvas.instructure.com/doc/api/file.registration.html
// https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { JWK } from 'jose';
import { SCOPES_SUPPORTED } from './claims.js';
import { authorizationServer, tokenEndpoint, type PlatformContext } from './context.js';
import { escapeHtml } from './http.js';
import { readInternal, signInternal } from './keys.js';
import type { LtiPlacement, LtiRegistration } from './store.js';

const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
const PLATFORM_CONFIG = 'https://purl.imsglobal.org/spec/lti-platform-configuration';
const VISIBILITY = 'https://canvas.instructure.com/lti/visibility';
const PRIVACY = 'https://canvas.instructure.com/lti/privacy_level';

/** Placements Canvas offers for each message type (a subset: the ones a course tool uses). */
export const PLACEMENTS = {
  LtiResourceLinkRequest: [
    'account_navigation',
    'assignment_menu',
    'course_navigation',
    'global_navigation',
    'link_selection',
    'module_menu',
    'user_navigation',
  ],
  LtiDeepLinkingRequest: [
    'assignment_selection',
    'editor_button',
    'link_selection',
    'module_index_menu',
  ],
} as const;

export const OPENID_CONFIGURATION_PATH = '/api/lti/security/openid-configuration';

/** Issues a registration token and gives the URL Canvas opens the tool's registration page at. */
export async function registrationStartUrl(
  ctx: PlatformContext,
  toolRegistrationUrl: string,
): Promise<string> {
  const uuid = randomUUID();
  const token = await signInternal(
    ctx.keys,
    { uuid, initiated_at: new Date().toISOString(), user_id: 1, root_account_global_id: 1 },
    60 * 60,
  );
  ctx.store.registrationTokens.set(uuid, { used: false });
  const url = new URL(toolRegistrationUrl);
  url.searchParams.set('openid_configuration', `${ctx.issuer}${OPENID_CONFIGURATION_PATH}`);
  url.searchParams.set('registration_token', token);
  return url.toString();
}

async function bearerToken(ctx: PlatformContext, req: Request): Promise<string | undefined> {
  const raw = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
  if (!raw) return undefined;
  const claims = await readInternal(ctx.keys, raw);
  return typeof claims?.uuid === 'string' && ctx.store.registrationTokens.has(claims.uuid)
    ? claims.uuid
    : undefined;
}

function openidConfiguration(ctx: PlatformContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    authorization_endpoint: `${ctx.issuer}/api/lti/authorize_redirect`,
    registration_endpoint: `${ctx.issuer}/api/lti/registrations`,
    jwks_uri: `${ctx.issuer}/api/lti/security/jwks`,
    token_endpoint: tokenEndpoint(ctx),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['id_token'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: ['sub', 'picture', 'email', 'name', 'given_name', 'family_name', 'locale'],
    subject_types_supported: ['public'],
    authorization_server: authorizationServer(ctx),
    [PLATFORM_CONFIG]: {
      product_family_code: 'canvas',
      version: 'vCloud',
      messages_supported: Object.entries(PLACEMENTS).map(([type, placements]) => ({
        type,
        placements: [...placements],
      })),
      notice_types_supported: [],
      variables: [
        'Canvas.api.domain',
        'Canvas.api.baseUrl',
        'Canvas.course.id',
        'Canvas.course.name',
        'Canvas.course.sisSourceId',
        'Canvas.membership.roles',
        'Canvas.user.id',
        'Canvas.user.loginId',
        'Canvas.user.sisid',
        'Canvas.user.sisSourceId',
        'Context.id',
        'Context.title',
        'Person.email.primary',
        'Person.name.full',
        'User.id',
        'com.instructure.User.allRoles',
      ],
      'https://canvas.instructure.com/lti/account_name': ctx.accountName,
      'https://canvas.instructure.com/lti/account_lti_guid': `${new URL(ctx.issuer).host}:canvas-lms`,
    },
  };
}

const isUrl = (v: unknown): v is string => {
  if (typeof v !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};
const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/** Checks a client registration against the DR spec and Canvas's schema; the problems, in words. */
export function registrationProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const arr = (name: string): unknown[] =>
    Array.isArray(body[name]) ? (body[name] as unknown[]) : [];
  if (body.application_type !== 'web') problems.push('application_type must be "web"');
  for (const grant of ['client_credentials', 'implicit']) {
    if (!arr('grant_types').includes(grant)) problems.push(`grant_types must include "${grant}"`);
  }
  if (!arr('response_types').includes('id_token'))
    problems.push('response_types must include "id_token"');
  if (arr('redirect_uris').length === 0 || !arr('redirect_uris').every(isUrl)) {
    problems.push('redirect_uris must be a non-empty list of URLs');
  }
  if (!isUrl(body.initiate_login_uri)) problems.push('initiate_login_uri must be a URL');
  if (!isUrl(body.jwks_uri)) problems.push('jwks_uri must be a URL');
  if (body.token_endpoint_auth_method !== 'private_key_jwt') {
    problems.push('token_endpoint_auth_method must be "private_key_jwt"');
  }
  if (typeof body.client_name !== 'string' || body.client_name === '')
    problems.push('client_name is required');
  if (typeof body.scope !== 'string') problems.push('scope must be a space-separated string');
  else {
    for (const s of body.scope.split(' ').filter(Boolean)) {
      if (!SCOPES_SUPPORTED.includes(s)) problems.push(`scope ${s} is not supported`);
    }
  }
  const config = body[TOOL_CONFIG] as Record<string, unknown> | undefined;
  if (typeof config !== 'object' || config === null) {
    problems.push(`${TOOL_CONFIG} is required`);
    return problems;
  }
  if (typeof config.domain !== 'string' || config.domain === '')
    problems.push('domain is required');
  if (!isUrl(config.target_link_uri)) problems.push('target_link_uri must be a URL');
  if (!Array.isArray(config.claims)) problems.push('claims must be a list');
  if (config.custom_parameters !== undefined && !isStringRecord(config.custom_parameters)) {
    problems.push('custom_parameters values must be strings');
  }
  if (!Array.isArray(config.messages)) problems.push('messages must be a list');
  for (const [i, m] of (Array.isArray(config.messages) ? config.messages : []).entries()) {
    const message = m as Record<string, unknown>;
    const type = message.type as keyof typeof PLACEMENTS;
    if (!(type in PLACEMENTS)) {
      problems.push(`messages[${i}].type must be LtiResourceLinkRequest or LtiDeepLinkingRequest`);
      continue;
    }
    if (message.target_link_uri !== undefined && !isUrl(message.target_link_uri)) {
      problems.push(`messages[${i}].target_link_uri must be a URL`);
    }
    for (const p of Array.isArray(message.placements) ? message.placements : []) {
      if (!(PLACEMENTS[type] as readonly string[]).includes(String(p))) {
        problems.push(`messages[${i}]: placement ${String(p)} is not supported for ${type}`);
      }
    }
    if (message.custom_parameters !== undefined && !isStringRecord(message.custom_parameters)) {
      problems.push(`messages[${i}].custom_parameters values must be strings`);
    }
  }
  return problems;
}

function placementsOf(config: Record<string, unknown>): LtiPlacement[] {
  const messages = (Array.isArray(config.messages) ? config.messages : []) as Record<
    string,
    unknown
  >[];
  return messages.flatMap((m) =>
    (Array.isArray(m.placements) ? (m.placements as string[]) : []).map((placement) => ({
      placement,
      messageType: m.type as LtiPlacement['messageType'],
      targetLinkUri:
        (m.target_link_uri as string | undefined) ?? (config.target_link_uri as string),
      label: typeof m.label === 'string' ? m.label : undefined,
      customParameters: (m.custom_parameters as Record<string, string> | undefined) ?? {},
      visibility: m[VISIBILITY] as LtiPlacement['visibility'],
    })),
  );
}

/** Stores a registration and deploys it in the root account, as Canvas does on install. */
function install(
  ctx: PlatformContext,
  registration: Omit<LtiRegistration, 'clientId' | 'toolId' | 'createdAt'>,
) {
  const clientId = ctx.store.newClientId();
  const toolId = ctx.state.id();
  const stored: LtiRegistration = {
    ...registration,
    clientId,
    toolId,
    createdAt: ctx.state.time(),
  };
  ctx.store.registrations.set(clientId, stored);
  const deployment = ctx.store.newDeployment(clientId, toolId, 'Account', ctx.state.accountId);
  return { registration: stored, deployment };
}

async function register(ctx: PlatformContext, req: Request, res: Response): Promise<void> {
  const uuid = await bearerToken(ctx, req);
  const slot = uuid ? ctx.store.registrationTokens.get(uuid) : undefined;
  if (!uuid || !slot) {
    res.status(401).json({ errors: [{ message: 'Invalid or missing registration_token' }] });
    return;
  }
  if (slot.used) {
    res.status(401).json({ errors: [{ message: 'registration_token has already been used' }] });
    return;
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  const problems = registrationProblems(body);
  if (problems.length > 0) {
    res
      .status(422)
      .json({ errors: problems.map((message) => ({ field: 'registration', message })) });
    return;
  }
  slot.used = true;
  const config = body[TOOL_CONFIG] as Record<string, unknown>;
  const privacy = config[PRIVACY];
  const { registration, deployment } = install(ctx, {
    name: body.client_name as string,
    initiateLoginUri: body.initiate_login_uri as string,
    redirectUris: body.redirect_uris as string[],
    targetLinkUri: config.target_link_uri as string,
    domain: config.domain as string,
    jwksUri: body.jwks_uri as string,
    scopes: (body.scope as string).split(' ').filter(Boolean),
    placements: placementsOf(config),
    customParameters: (config.custom_parameters as Record<string, string> | undefined) ?? {},
    claims: config.claims as string[],
    privacyLevel:
      privacy === 'name_only' || privacy === 'email_only' || privacy === 'anonymous'
        ? privacy
        : 'public',
    method: 'dynamic_registration',
    requested: body,
  });
  res.status(200).json({
    ...body,
    client_id: registration.clientId,
    [TOOL_CONFIG]: { ...config, deployment_id: deployment.deploymentId },
  });
}

/** Canvas's developer-key JSON (file.lti_dev_key_config), the manual way admins install a tool. */
export interface CanvasToolConfiguration {
  title: string;
  description?: string;
  oidc_initiation_url: string;
  target_link_uri: string;
  scopes?: string[];
  public_jwk?: JWK;
  public_jwk_url?: string;
  custom_fields?: Record<string, string>;
  extensions?: Array<{
    domain?: string;
    platform?: string;
    privacy_level?: LtiRegistration['privacyLevel'];
    settings?: {
      placements?: Array<{
        placement: string;
        message_type?: LtiPlacement['messageType'];
        target_link_uri?: string;
        text?: string;
        custom_fields?: Record<string, string>;
        visibility?: LtiPlacement['visibility'];
      }>;
    };
  }>;
}

/**
 * Installs a tool from its developer-key JSON, with the developer key's redirect URIs
 * (`redirectUris`, default: the target_link_uri), and deploys it in the root account.
 */
export function installFromJson(
  ctx: PlatformContext,
  config: CanvasToolConfiguration,
  redirectUris: string[] = [config.target_link_uri],
) {
  const extension =
    config.extensions?.find((e) => e.platform === 'canvas.instructure.com') ??
    config.extensions?.[0];
  return install(ctx, {
    name: config.title,
    initiateLoginUri: config.oidc_initiation_url,
    redirectUris,
    targetLinkUri: config.target_link_uri,
    domain: extension?.domain ?? new URL(config.target_link_uri).host,
    jwksUri: config.public_jwk_url,
    publicJwk: config.public_jwk,
    scopes: config.scopes ?? [],
    placements: (extension?.settings?.placements ?? []).map((p) => ({
      placement: p.placement,
      messageType: p.message_type ?? 'LtiResourceLinkRequest',
      targetLinkUri: p.target_link_uri ?? config.target_link_uri,
      label: p.text,
      customParameters: p.custom_fields ?? {},
      visibility: p.visibility,
    })),
    customParameters: config.custom_fields ?? {},
    claims: [],
    privacyLevel: extension?.privacy_level ?? 'anonymous',
    method: 'manual',
  });
}

export function registrationRouter(ctx: PlatformContext): express.Router {
  const router = express.Router();
  // https://canvas.instructure.com/doc/api/file.registration.html#canvas-openid-configuration
  router.get(OPENID_CONFIGURATION_PATH, async (req, res) => {
    if (!(await bearerToken(ctx, req))) {
      res.status(401).json({ errors: [{ message: 'Invalid or missing registration_token' }] });
      return;
    }
    res.json(openidConfiguration(ctx));
  });
  // https://canvas.instructure.com/doc/api/file.registration.html#registration-creation
  router.post('/api/lti/registrations', express.json(), (req, res) => register(ctx, req, res));

  // The admin's side: Canvas shows the tool's registration page in an iframe and waits for its
  // org.imsglobal.lti.close message. `url` is the tool's dynamic registration URL.
  router.get('/accounts/:account_id/developer_keys/dynamic_registration', async (req, res) => {
    if (typeof req.query.url !== 'string' || !isUrl(req.query.url)) {
      res.status(400).json({ errors: [{ message: 'url must be the tool registration URL' }] });
      return;
    }
    const start = await registrationStartUrl(ctx, req.query.url);
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Install an app</title></head>
<body>
  <main><h1>Install an app</h1><p id="registration_status">Registering…</p>
  <iframe id="registration_frame" title="Tool registration" src="${escapeHtml(start)}" style="width:100%;height:70vh;border:0"></iframe></main>
  <script>
    window.addEventListener('message', function (event) {
      if (event.data && event.data.subject === 'org.imsglobal.lti.close') {
        document.getElementById('registration_status').textContent = 'Registration complete';
        document.getElementById('registration_frame').remove();
      }
    });
  </script>
</body></html>`);
  });
  return router;
}

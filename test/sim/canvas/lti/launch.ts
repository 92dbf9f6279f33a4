// LTI 1.3 launches as Canvas performs them (IMS Security Framework OIDC third-party login):
// 1. login initiation: Canvas auto-posts iss, login_hint, lti_message_hint... to the tool's
//    oidc_initiation_url;
// 2. the tool sends the browser to /api/lti/authorize_redirect (Canvas forwards it to
//    /api/lti/authorize on the account's domain);
// 3. Canvas answers with a form that posts the signed id_token and the state to the redirect_uri.
// https://canvas.instructure.com/doc/api/file.lti_launch_overview.html
// https://www.imsglobal.org/spec/security/v1p0/#openid_connect_launch_flow
// Canvas's checks: app/controllers/lti/ims/authentication_controller.rb
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { SignJWT } from 'jose';
import { enrollmentTypes, expandCustom, launchClaims, LTI } from './claims.js';
import type { PlatformContext } from './context.js';
import { autoPostForm, escapeHtml } from './http.js';
import { readInternal, signInternal } from './keys.js';
import { STORAGE_SCRIPT, STORAGE_TARGET, storageFramePage } from './storage-frame.js';
import { LAUNCH_FORGERIES, opaqueId, type LaunchForgery, type PendingLaunch } from './store.js';

export interface LaunchRequest {
  courseId: number;
  clientId: string;
  userId: number;
  /** @defaultValue 'course_navigation' */
  placement?: string;
  /** Test-only: make the platform issue this kind of bad launch. */
  forge?: LaunchForgery;
}

/** The URL that starts a launch as the user clicking the tool's link (auto-posting login form). */
export function launchPath(req: LaunchRequest): string {
  const q = new URLSearchParams({ user_id: String(req.userId) });
  if (req.placement) q.set('placement', req.placement);
  if (req.forge) q.set('forge', req.forge);
  return `/courses/${req.courseId}/external_tools/${req.clientId}/launch?${q.toString()}`;
}

/** The course page with the tool in its `tool_content` iframe, as Canvas shows course navigation. */
export function coursePagePath(req: LaunchRequest): string {
  return launchPath(req).replace('/launch?', '?');
}

const REQUIRED_OIDC = [
  'client_id',
  'login_hint',
  'lti_message_hint',
  'nonce',
  'prompt',
  'redirect_uri',
  'response_mode',
  'response_type',
  'scope',
] as const;

function text(res: Response, status: number, message: string): void {
  res.status(status).json({ errors: [{ message }] });
}

type Prepared =
  | { ok: true; pending: PendingLaunch; form: Record<string, string>; action: string }
  | { ok: false; status: number; message: string };

/** Step 1: checks the launch is possible and prepares it (Canvas's ExternalToolsController#show). */
async function prepare(ctx: PlatformContext, req: Request): Promise<Prepared> {
  const { state, store } = ctx;
  const course = state.courses.get(Number(req.params.course_id));
  if (!course) return { ok: false, status: 404, message: 'The specified resource does not exist.' };
  const registration = store.registrations.get(String(req.params.client_id));
  if (!registration) return { ok: false, status: 404, message: 'No such external tool.' };
  const deployment = store.deploymentFor(registration.clientId, course.id);
  if (!deployment) {
    return { ok: false, status: 404, message: 'The tool is not installed in this course.' };
  }
  const user = state.users.get(Number(req.query.user_id));
  if (!user) return { ok: false, status: 401, message: 'user authorization required' };
  if (enrollmentTypes(state, course.id, user.id).length === 0) {
    return { ok: false, status: 401, message: 'user not authorized to perform that action' };
  }
  const placementName =
    typeof req.query.placement === 'string' ? req.query.placement : 'course_navigation';
  const placement = registration.placements.find((p) => p.placement === placementName);
  if (!placement) {
    return { ok: false, status: 404, message: `The tool has no ${placementName} placement.` };
  }
  const forge = req.query.forge;
  if (forge !== undefined && !LAUNCH_FORGERIES.includes(forge as LaunchForgery)) {
    return {
      ok: false,
      status: 400,
      message: `forge must be one of ${LAUNCH_FORGERIES.join(', ')}`,
    };
  }
  const pending: PendingLaunch = {
    verifier: randomUUID(),
    clientId: registration.clientId,
    deploymentId: deployment.deploymentId,
    courseId: course.id,
    userId: user.id,
    placement: placement.placement,
    targetLinkUri: placement.targetLinkUri,
    forge: forge as LaunchForgery | undefined,
  };
  store.pendingLaunches.set(pending.verifier, pending);
  const messageHint = await signInternal(
    ctx.keys,
    {
      verifier: pending.verifier,
      canvas_domain: new URL(ctx.issuer).host,
      context_type: 'Course',
      context_id: course.id,
      canvas_locale: 'en',
      include_storage_target: true,
    },
    5 * 60,
  );
  return {
    ok: true,
    pending,
    action: registration.initiateLoginUri,
    form: {
      iss: ctx.issuer,
      login_hint: opaqueId('User', user.id),
      client_id: registration.clientId,
      lti_deployment_id: deployment.deploymentId,
      deployment_id: deployment.deploymentId,
      target_link_uri: placement.targetLinkUri,
      lti_message_hint: messageHint,
      canvas_environment: 'prod',
      canvas_region: 'not_configured',
      lti_storage_target: STORAGE_TARGET,
    },
  };
}

/** Signs the id_token for a consumed launch, applying the test-only forgery when one was asked. */
async function idToken(
  ctx: PlatformContext,
  pending: PendingLaunch,
  nonce: string,
): Promise<string> {
  const { state, store } = ctx;
  const registration = store.registrations.get(pending.clientId);
  const course = state.courses.get(pending.courseId);
  const user = state.users.get(pending.userId);
  if (!registration || !course || !user) throw new Error('launch refers to a deleted record');
  const types = enrollmentTypes(state, course.id, user.id);
  const placement = registration.placements.find((p) => p.placement === pending.placement);
  const custom = expandCustom(
    { ...registration.customParameters, ...(placement?.customParameters ?? {}) },
    { course, user, types, issuer: ctx.issuer },
  );
  const seen = store.nonces.get(registration.clientId) ?? [];
  const forge = pending.forge;
  const claims = launchClaims({
    issuer: ctx.issuer,
    registration,
    deploymentId: pending.deploymentId,
    course,
    user,
    types,
    placement: pending.placement,
    targetLinkUri: pending.targetLinkUri,
    custom,
    nonce: (forge === 'reused_nonce' ? seen.at(-1) : undefined) ?? nonce,
    accountName: ctx.accountName,
  });
  store.nonces.set(registration.clientId, [...seen, nonce]);
  if (forge === 'wrong_aud')
    Object.assign(claims, { aud: '10000000099999', azp: '10000000099999' });
  if (forge === 'wrong_iss') claims.iss = 'https://wrong-issuer.invalid';
  if (forge === 'unknown_deployment') {
    claims[`${LTI}deployment_id`] = `${registration.toolId}:${opaqueId('Unknown', Date.now())}`;
  }
  const now = Math.floor(Date.now() / 1000);
  const iat = forge === 'expired' ? now - 7200 : now;
  const signingKey = forge === 'bad_signature' ? ctx.keys.rogueKey : ctx.keys.privateKey;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: ctx.keys.kid, typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(signingKey);
}

/** Canvas's redirect_uri check: an exact match, or a registered URI whose query it contains. */
function redirectAllowed(registered: string[], requested: string): boolean {
  const [base, query = ''] = requested.split('?');
  const have = new URLSearchParams(query);
  return registered.some((uri) => {
    if (!uri.includes('?')) return uri === base;
    const [uriBase, uriQuery] = uri.split('?');
    if (uriBase !== base) return false;
    return [...new URLSearchParams(uriQuery)].every(([k, v]) => have.getAll(k).includes(v));
  });
}

/** Steps 2-3: the authentication request, answered by form_post (Canvas's #authorize). */
async function authorize(ctx: PlatformContext, req: Request, res: Response): Promise<void> {
  const params: Record<string, string> = {};
  for (const source of [req.query, (req.body ?? {}) as Record<string, unknown>]) {
    for (const [k, v] of Object.entries(source)) if (typeof v === 'string') params[k] = v;
  }
  const hint = params.lti_message_hint
    ? await readInternal(ctx.keys, params.lti_message_hint)
    : undefined;
  if (!hint || typeof hint.verifier !== 'string') return text(res, 400, 'Invalid lti_message_hint');
  const registration = ctx.store.registrations.get(params.client_id ?? '');
  if (!registration) return text(res, 400, 'Invalid client_id');
  const redirectUri = params.redirect_uri ?? '';
  if (!redirectAllowed(registration.redirectUris, redirectUri)) {
    return text(res, 400, 'Invalid redirect_uri');
  }
  const fail = (error: string, description: string): void => {
    const fields: Record<string, string> = { error, error_description: description };
    if (params.state !== undefined) fields.state = params.state;
    res.type('html').send(autoPostForm(redirectUri, fields, 'LTI launch error'));
  };
  const missing = REQUIRED_OIDC.filter((k) => params[k] === undefined);
  if (missing.length > 0) {
    return fail(
      'invalid_request_object',
      `The following parameters are missing: ${missing.join(',')}`,
    );
  }
  if (params.scope !== 'openid')
    return fail('invalid_request_object', "The 'scope' must be 'openid'");
  if (params.response_type !== 'id_token') {
    return fail('unsupported_response_type', "The 'response_type' must be 'id_token'");
  }
  if (params.response_mode !== 'form_post') {
    return fail('invalid_request_object', "The 'response_mode' must be 'form_post'");
  }
  const pending = ctx.store.pendingLaunches.get(hint.verifier);
  if (pending && opaqueId('User', pending.userId) !== params.login_hint) {
    return fail('login_required', 'Must have an active user session');
  }
  if (pending && pending.clientId !== registration.clientId) {
    return fail('unauthorized_client', 'Client not authorized in requested context');
  }
  // Each prepared launch is used once (Canvas's fetch_and_delete_launch).
  if (!pending || !ctx.store.pendingLaunches.delete(hint.verifier)) {
    return fail('launch_no_longer_valid', 'The launch has either expired or already been consumed');
  }
  const fields: Record<string, string> = {
    id_token: await idToken(ctx, pending, params.nonce ?? ''),
  };
  if (params.state !== undefined) {
    fields.state = pending.forge === 'bad_state' ? `${params.state}-tampered` : params.state;
  }
  if (hint.include_storage_target === true) fields.lti_storage_target = STORAGE_TARGET;
  res.type('html').send(autoPostForm(redirectUri, fields, 'LTI launch'));
}

export function launchRouter(ctx: PlatformContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false });

  // The course page with the tool launched in its iframe (course navigation).
  router.get('/courses/:course_id/external_tools/:client_id', (req, res) => {
    const url = new URL(req.originalUrl, ctx.issuer);
    url.pathname += '/launch';
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Canvas course ${escapeHtml(String(req.params.course_id))}</title></head>
<body>
  <main><h1>Course ${escapeHtml(String(req.params.course_id))}</h1>
  <iframe name="tool_content" id="tool_content" title="Tool content" src="${escapeHtml(url.pathname + url.search)}"
    style="width:100%;height:80vh;border:0" allow="clipboard-write"></iframe></main>
  <iframe name="${STORAGE_TARGET}" title="${STORAGE_TARGET}" src="/${STORAGE_TARGET}" hidden></iframe>
  <script>${STORAGE_SCRIPT}</script>
</body></html>`);
  });

  // Step 1: the login initiation, as an auto-submitting form to the tool's oidc_initiation_url.
  router.get('/courses/:course_id/external_tools/:client_id/launch', async (req, res) => {
    const prepared = await prepare(ctx, req);
    if (!prepared.ok) return text(res, prepared.status, prepared.message);
    res.type('html').send(autoPostForm(prepared.action, prepared.form, 'Launching tool'));
  });

  router.get(`/${STORAGE_TARGET}`, (_req, res) => {
    res.type('html').send(storageFramePage());
  });

  // Canvas takes the authentication request on one domain and forwards it, with the same
  // parameters in the query, to the authorize action on the account's domain.
  router.all('/api/lti/authorize_redirect', form, (req, res) => {
    const url = new URL('/api/lti/authorize', ctx.issuer);
    for (const source of [req.query, (req.body ?? {}) as Record<string, unknown>]) {
      for (const [k, v] of Object.entries(source))
        if (typeof v === 'string') url.searchParams.set(k, v);
    }
    res.redirect(302, url.toString());
  });
  router.all('/api/lti/authorize', form, (req, res) => authorize(ctx, req, res));

  // https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html ("Canvas' public JWKs")
  router.get('/api/lti/security/jwks', (_req, res) => {
    res.setHeader('Cache-Control', 'max-age=864000');
    res.json({ keys: [ctx.keys.publicJwk] });
  });
  return router;
}

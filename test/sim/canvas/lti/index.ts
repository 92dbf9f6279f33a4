// The LTI 1.3 platform side of the Canvas simulator: OIDC launches with a signed id_token, the
// platform JWKS, the OAuth2 token endpoint, Dynamic Registration, AGS and NRPS. Every route is at
// the absolute path Canvas uses; mount the router at `/`.
import express from 'express';
import type { CanvasState } from '../state.js';
import { agsRouter } from './ags.js';
import type { PlatformContext } from './context.js';
import { createPlatformKeys } from './keys.js';
import { coursePagePath, launchPath, launchRouter, type LaunchRequest } from './launch.js';
import { nrpsRouter } from './nrps.js';
import {
  installFromJson,
  registrationRouter,
  registrationStartUrl,
  type CanvasToolConfiguration,
} from './registration.js';
import { ltiStore, type LtiDeployment, type LtiRegistration, type LtiStore } from './store.js';
import { tokenRouter } from './token.js';

export type { LaunchRequest } from './launch.js';
export type { CanvasToolConfiguration } from './registration.js';
export * from './store.js';
export { SCOPES, LTI, AGS_CLAIM, NRPS_CLAIM, PLACEMENT_CLAIM } from './claims.js';

export interface LtiPlatformOptions {
  /** The simulator's base URL, e.g. http://127.0.0.1:PORT: the `iss` and every URL's origin. */
  issuer: string;
  /** @defaultValue 'Canvas Simulator University' */
  accountName?: string;
}

export interface LtiPlatform {
  router: express.Router;
  /** Registrations, deployments, line items...: shared with anything holding the same state. */
  store: LtiStore;
  /** The platform's public JWKS (what GET /api/lti/security/jwks answers). */
  jwks(): { keys: object[] };
  /** Absolute URL of the login initiation for a user launching a tool in a course. */
  launchUrl(req: LaunchRequest): string;
  /** Absolute URL of the course page showing the tool in its iframe (course navigation). */
  coursePageUrl(req: LaunchRequest): string;
  /**
   * Where Canvas opens the tool's registration page: `toolRegistrationUrl` with
   * `openid_configuration` and a fresh one-time `registration_token`.
   */
  registrationStartUrl(toolRegistrationUrl: string): Promise<string>;
  /** Installs a tool from Canvas's developer-key JSON and deploys it in the root account. */
  installTool(
    config: CanvasToolConfiguration,
    redirectUris?: string[],
  ): { registration: LtiRegistration; deployment: LtiDeployment };
  /** Deploys an installed tool in one course as well (a second deployment_id). */
  deployInCourse(clientId: string, courseId: number): LtiDeployment;
}

export function createLtiPlatform(state: CanvasState, options: LtiPlatformOptions): LtiPlatform {
  const ctx: PlatformContext = {
    state,
    store: ltiStore(state),
    keys: createPlatformKeys(),
    issuer: options.issuer.replace(/\/+$/, ''),
    accountName: options.accountName ?? 'Canvas Simulator University',
  };
  const router = express.Router();
  router.use(launchRouter(ctx));
  router.use(tokenRouter(ctx));
  router.use(registrationRouter(ctx));
  router.use(agsRouter(ctx));
  router.use(nrpsRouter(ctx));
  return {
    router,
    store: ctx.store,
    jwks: () => ({ keys: [ctx.keys.publicJwk] }),
    launchUrl: (req) => `${ctx.issuer}${launchPath(req)}`,
    coursePageUrl: (req) => `${ctx.issuer}${coursePagePath(req)}`,
    registrationStartUrl: (url) => registrationStartUrl(ctx, url),
    installTool: (config, redirectUris) => installFromJson(ctx, config, redirectUris),
    deployInCourse: (clientId, courseId) => {
      const registration = ctx.store.registrations.get(clientId);
      if (!registration) throw new Error(`no registration with client_id ${clientId}`);
      return ctx.store.newDeployment(clientId, registration.toolId, 'Course', courseId);
    },
  };
}

// What every LTI router of the simulator shares.
import type { CanvasState } from '../state.js';
import type { PlatformKeys } from './keys.js';
import type { LtiStore } from './store.js';

export interface PlatformContext {
  state: CanvasState;
  store: LtiStore;
  keys: PlatformKeys;
  /** The simulator's base URL, without a trailing slash: Canvas's `iss` and every URL's origin. */
  issuer: string;
  /** The root account's name (tool_platform.name, NRPS). */
  accountName: string;
}

/** Canvas's OAuth2 token endpoint, the `aud` of client assertions and access tokens. */
export function tokenEndpoint(ctx: PlatformContext): string {
  return `${ctx.issuer}/login/oauth2/token`;
}

/** What Canvas puts in `authorization_server`: its host name (docs: file.registration). */
export function authorizationServer(ctx: PlatformContext): string {
  return new URL(ctx.issuer).host;
}

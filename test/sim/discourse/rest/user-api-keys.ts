// The User API key flow (https://meta.discourse.org/t/user-api-keys-specification/48536;
// app/controllers/user_api_keys_controller.rb):
// 1. the client sends the user to GET /user-api-key/new with application_name, client_id, scopes,
//    public_key (PEM), nonce and auth_redirect (HEAD answers `Auth-Api-Version: 4`);
// 2. the user approves (here: a logged-in POST /user-api-key, or the control API's approve step,
//    which stands in for a browser session);
// 3. Discourse creates the key (replacing the user's key for that client_id) and redirects to
//    auth_redirect?payload=<Base64 of the RSA PKCS#1 v1.5 public_encrypt of
//    {"key","nonce","push","api"}>; the key then works as the `User-Api-Key` header within its scopes.
// auth_redirect must match allowed_user_api_auth_redirects (`*` wildcards), else 403.
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { DiscourseError, missingParameter } from '../mutations.js';
import type { DiscourseState, DiscourseUser, DiscourseUserApiKey } from '../state.js';
import { caller, invalidAccess } from './auth.js';
import { h } from './router.js';

export const AUTH_API_VERSION = 4;

export interface UserApiKeyRequest {
  application_name: string;
  client_id: string;
  scopes: string;
  public_key: string;
  nonce: string;
  auth_redirect?: string;
  push_url?: string;
}

const REQUIRED = ['public_key', 'nonce', 'scopes', 'client_id', 'application_name'] as const;

function wildcardMatch(pattern: string, url: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(url);
}

/** require_params + validate_params: every parameter present, scopes allowed, a parseable key. */
export function validateRequest(
  state: DiscourseState,
  q: Record<string, unknown>,
): UserApiKeyRequest {
  for (const name of REQUIRED) {
    if (typeof q[name] !== 'string' || q[name] === '') throw missingParameter(name);
  }
  const req = q as unknown as UserApiKeyRequest;
  const scopes = req.scopes.split(',');
  if (!scopes.every((sc) => state.siteSettings.allow_user_api_key_scopes.includes(sc))) {
    throw invalidAccess();
  }
  try {
    createPublicKey(req.public_key);
  } catch {
    throw invalidAccess();
  }
  if (
    req.auth_redirect !== undefined &&
    !state.siteSettings.allowed_user_api_auth_redirects.some((p) =>
      wildcardMatch(p, req.auth_redirect!),
    )
  ) {
    throw invalidAccess();
  }
  return req;
}

/** Creates the key for `user` and returns the encrypted payload and where to send the user. */
export function approve(
  state: DiscourseState,
  user: DiscourseUser,
  req: UserApiKeyRequest,
): { key: DiscourseUserApiKey; payload: string; redirect?: string } {
  if (
    !(user.admin || user.moderator) &&
    user.trust_level < state.siteSettings.min_trust_level_for_user_api_key
  ) {
    throw invalidAccess();
  }
  for (const [k, existing] of state.userApiKeys) {
    if (existing.user_id === user.id && existing.client_id === req.client_id) {
      state.userApiKeys.delete(k);
    }
  }
  const key: DiscourseUserApiKey = {
    id: state.id('userApiKeys'),
    key: randomBytes(16).toString('hex'),
    user_id: user.id,
    client_id: req.client_id,
    application_name: req.application_name,
    scopes: req.scopes.split(','),
    push_url: req.push_url ?? null,
    revoked_at: null,
    created_at: state.time(),
  };
  state.userApiKeys.set(key.key, key);
  const json = JSON.stringify({
    key: key.key,
    nonce: req.nonce,
    push: key.scopes.includes('push') && key.push_url !== null,
    api: AUTH_API_VERSION,
  });
  const encrypted = publicEncrypt(
    { key: req.public_key, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(json),
  );
  // Ruby's Base64.encode64: 60 characters a line, each ending in "\n".
  const payload = `${encrypted.toString('base64').replace(/.{60}/g, '$&\n')}\n`.replace(
    /\n\n$/,
    '\n',
  );
  let redirect: string | undefined;
  if (req.auth_redirect) {
    const uri = new URL(req.auth_redirect);
    const query = [uri.search.replace(/^\?/, ''), `payload=${encodeURIComponent(payload)}`]
      .filter(Boolean)
      .join('&');
    uri.search = query;
    redirect = uri.toString();
  }
  return { key, payload, redirect };
}

/** Pending authorisations shown on the approval page (the request the user is looking at). */
export class PendingAuthorizations {
  readonly pending: UserApiKeyRequest[] = [];

  /** The request to approve: the one with `nonce`, else the latest. */
  take(nonce?: string): UserApiKeyRequest | undefined {
    const i = nonce ? this.pending.findIndex((p) => p.nonce === nonce) : this.pending.length - 1;
    if (i < 0) return undefined;
    return this.pending.splice(i, 1)[0];
  }
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function createUserApiKeyRouter(
  state: DiscourseState,
  pending: PendingAuthorizations,
  autoApproveAs: () => string | undefined,
): Router {
  const r = Router();
  const query = (req: Request) => ({
    ...(req.query as Record<string, unknown>),
    ...((req.body ?? {}) as Record<string, unknown>),
  });

  r.head('/user-api-key/new', (_req, res) => {
    res.set('Auth-Api-Version', String(AUTH_API_VERSION)).status(200).end();
  });
  r.get(
    '/user-api-key/new',
    h((req, res) => {
      const request = validateRequest(state, query(req));
      const auto = autoApproveAs();
      const user = caller(res)?.user ?? (auto ? state.userByUsername(auto) : undefined);
      if (auto && user) {
        const { redirect, payload } = approve(state, user, request);
        if (redirect) res.redirect(302, redirect);
        else res.type('html').send(`<pre id="payload">${htmlEscape(payload)}</pre>`);
        return undefined;
      }
      pending.pending.push(request);
      // The authorisation page: what the user approves, as user_api_keys/new.html.erb lists it.
      const fields = Object.entries(request)
        .map(([k, v]) => `<input type="hidden" name="${k}" value="${htmlEscape(String(v))}">`)
        .join('');
      res.type('html').send(
        `<h1>${htmlEscape(request.application_name)} is asking for access to your account</h1>` +
          `<ul>${request.scopes
            .split(',')
            .map((sc) => `<li>${htmlEscape(sc)}</li>`)
            .join('')}</ul>` +
          `<form method="post" action="/user-api-key">${fields}<button>Authorize</button></form>`,
      );
      return undefined;
    }),
  );
  r.post(
    '/user-api-key',
    h((req, res) => {
      const me = caller(res)?.user;
      if (!me)
        throw new DiscourseError(403, ['You need to be logged in to do that.'], 'not_logged_in');
      const request = validateRequest(state, query(req));
      const { redirect, payload } = approve(state, me, request);
      if (redirect) {
        res.redirect(302, redirect);
        return undefined;
      }
      return {
        payload,
        instructions: `Your new API key for ${request.application_name} has been generated.`,
      };
    }),
  );
  r.post(
    '/user-api-key/revoke',
    h((req, res) => {
      const me = caller(res)?.user;
      const header = req.get('user-api-key');
      const byId =
        req.body?.id !== undefined
          ? [...state.userApiKeys.values()].find((k) => k.id === Number(req.body.id))
          : undefined;
      const key = byId ?? (header ? state.userApiKeys.get(header) : undefined);
      if (!key)
        throw new DiscourseError(
          404,
          ['The requested URL or resource could not be found.'],
          'not_found',
        );
      if (byId && !(me?.admin || me?.id === key.user_id)) throw invalidAccess();
      key.revoked_at = state.time();
      return { success: 'OK' };
    }),
  );
  return r;
}

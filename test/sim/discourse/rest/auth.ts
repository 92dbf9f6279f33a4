// Who a request acts as, and the API rate limits, as Discourse decides them
// (lib/auth/default_current_user_provider.rb; https://meta.discourse.org/t/discourse-rest-api-documentation/22706
// and https://meta.discourse.org/t/available-settings-for-global-rate-limits-and-throttling/78612):
// - `Api-Key` (+ `Api-Username`, or `Api-User-Id` / `Api-User-External-Id`) headers: an unknown or
//   revoked key, a key bound to another user, or an unknown username is 403 invalid_access
//   "... The API username or key is invalid."; each admin key may make
//   max_admin_api_reqs_per_minute (60) requests a minute, then 429.
// - `User-Api-Key` (+ optional `User-Api-Client-Id`): the key's scopes decide what it may do
//   (UserApiKeyScope: read = GET, write = anything, session_info = the current user); it may make
//   max_user_api_reqs_per_minute (20) requests a minute.
// - A 429 is render_rate_limit_error: `{"errors": [...], "error_type": "rate_limit",
//   "extras": {"wait_seconds": n}}` with `Retry-After: n` and `Discourse-Rate-Limit-Error-Code`.
import type { NextFunction, Request, Response } from 'express';
import { DiscourseError } from '../mutations.js';
import type { DiscourseState, DiscourseUser, DiscourseUserApiKey } from '../state.js';

export const INVALID_API_CREDENTIALS =
  'You are not permitted to view the requested resource. The API username or key is invalid.';
export const INVALID_ACCESS = 'You are not permitted to view the requested resource.';
export const NOT_LOGGED_IN = 'You need to be logged in to do that.';

export function invalidAccess(message = INVALID_ACCESS): DiscourseError {
  return new DiscourseError(403, [message], 'invalid_access');
}

/** rate_limiter.too_many_requests with rate_limiter.seconds. */
export function rateLimitError(waitSeconds: number, code: string): DiscourseError {
  const left = waitSeconds === 1 ? '1 second' : `${waitSeconds} seconds`;
  const err = new DiscourseError(
    429,
    [`You’ve performed this action too many times. Please wait ${left} before trying again.`],
    'rate_limit',
    { wait_seconds: waitSeconds },
  );
  (err as DiscourseError & { code?: string }).code = code;
  return err;
}

export interface RateLimits {
  /** GlobalSetting.max_admin_api_reqs_per_minute. @defaultValue 60 */
  adminApiPerMinute: number;
  /** GlobalSetting.max_user_api_reqs_per_minute. @defaultValue 20 */
  userApiPerMinute: number;
}

/** A sliding-window limiter like RateLimiter (N actions per window, per key). */
export class RateLimiter {
  readonly limits: RateLimits;
  private readonly windows = new Map<string, number[]>();
  private forced: { remaining: number; waitSeconds: number } | undefined;
  /** Requests answered 429. */
  limited = 0;

  constructor(limits: Partial<RateLimits> = {}) {
    this.limits = { adminApiPerMinute: 60, userApiPerMinute: 20, ...limits };
  }

  /** The next `count` API requests are answered 429 with `waitSeconds`. */
  force(count: number, waitSeconds: number): void {
    this.forced = { remaining: count, waitSeconds };
  }

  reset(): void {
    this.windows.clear();
    this.forced = undefined;
  }

  /** Records an action; throws the 429 when the window is full. */
  perform(key: string, max: number, code: string): void {
    if (this.forced && this.forced.remaining > 0) {
      this.forced.remaining -= 1;
      this.limited += 1;
      throw rateLimitError(this.forced.waitSeconds, code);
    }
    const now = Date.now();
    const times = (this.windows.get(key) ?? []).filter((t) => now - t < 60_000);
    if (times.length >= max) {
      this.windows.set(key, times);
      this.limited += 1;
      throw rateLimitError(Math.max(1, Math.ceil((times[0]! + 60_000 - now) / 1000)), code);
    }
    times.push(now);
    this.windows.set(key, times);
  }
}

export interface Caller {
  user: DiscourseUser;
  via: 'api_key' | 'user_api_key';
  userApiKey?: DiscourseUserApiKey;
}

/** The caller of a request (undefined: anonymous); throws 403/429 as Discourse does. */
export function identify(
  state: DiscourseState,
  limiter: RateLimiter,
  req: Request,
): Caller | undefined {
  const userApiKey = req.get('user-api-key');
  const apiKey =
    req.get('api-key') ?? (typeof req.query.api_key === 'string' ? req.query.api_key : undefined);
  if (apiKey) {
    const key = state.apiKeys.get(apiKey);
    if (!key || key.revoked_at) throw invalidAccess(INVALID_API_CREDENTIALS);
    const username = req.get('api-username') ?? undefined;
    let user: DiscourseUser | undefined;
    if (key.user_id !== null) {
      const bound = state.users.get(key.user_id);
      if (bound && (!username || bound.username.toLowerCase() === username.toLowerCase())) {
        user = bound;
      }
    } else if (username) {
      user = state.userByUsername(username);
    } else if (req.get('api-user-id')) {
      user = state.users.get(Number(req.get('api-user-id')));
    } else if (req.get('api-user-external-id')) {
      const ext = req.get('api-user-external-id');
      user = [...state.users.values()].find((u) => u.external_id === ext);
    }
    if (!user) throw invalidAccess(INVALID_API_CREDENTIALS);
    if (!user.active) throw invalidAccess();
    limiter.perform(
      `admin:${apiKey}`,
      limiter.limits.adminApiPerMinute,
      'admin_api_key_rate_limit',
    );
    return { user, via: 'api_key' };
  }
  if (userApiKey) {
    const key = state.userApiKeys.get(userApiKey);
    const user = key && !key.revoked_at ? state.users.get(key.user_id) : undefined;
    if (!key || !user || !user.active) throw invalidAccess();
    if (!scopeAllows(key.scopes, req)) throw invalidAccess();
    const clientId = req.get('user-api-client-id');
    if (clientId && clientId !== key.client_id) key.client_id = clientId;
    limiter.perform(`user:${userApiKey}`, limiter.limits.userApiPerMinute, 'user_api_key_limit_60');
    return { user, via: 'user_api_key', userApiKey: key };
  }
  return undefined;
}

/**
 * UserApiKeyScope's allowances, reduced to what the simulator serves. Any key may revoke itself
 * (UserApiKey#allow?: `... || is_revoke_self_request?(env)`, POST /user-api-key/revoke).
 */
function scopeAllows(scopes: string[], req: Request): boolean {
  if (req.method === 'POST' && /^\/user-api-key\/revoke(\.json)?$/.test(req.path)) return true;
  if (scopes.includes('write')) return true;
  const read = req.method === 'GET' || req.method === 'HEAD';
  if (scopes.includes('read') && read) return true;
  if (
    scopes.includes('session_info') &&
    read &&
    /^\/(session\/current|u\/[^/]+)(\.json)?$/.test(req.path)
  ) {
    return true;
  }
  return false;
}

/** Middleware: sets res.locals.caller, or answers the 403/429. */
export function authenticate(state: DiscourseState, limiter: RateLimiter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      res.locals.caller = identify(state, limiter, req);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function caller(res: Response): Caller | undefined {
  return res.locals.caller as Caller | undefined;
}

/** The caller, or 403 not_logged_in (Discourse::NotLoggedIn). */
export function requireUser(res: Response): DiscourseUser {
  const c = caller(res);
  if (!c) throw new DiscourseError(403, [NOT_LOGGED_IN], 'not_logged_in');
  return c.user;
}

/** The caller if staff, else 403 invalid_access (Admin::AdminController / ensure_staff). */
export function requireAdmin(res: Response): DiscourseUser {
  const u = requireUser(res);
  if (!u.admin) throw invalidAccess();
  return u;
}

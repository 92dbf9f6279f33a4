// "Link my forum account" leaves the tool for Discourse's approval page and comes back to the
// tool's callback without the ltik (the callback URL passes through Discourse, its logs and the
// browser's history, and an ltik opens the whole page). What comes back instead is this state: the
// launch's course, user and role, signed by the tool (HMAC-SHA256 with a key derived from
// LTI_KEY) and short-lived, plus a nonce that must match the cookie the start set in the same
// browser: a state sent to another person's browser is refused there.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CdsError } from '@cds/shared';
import type { PageIdentity, PageRole } from './identity.js';

/** As long as the relay keeps a started link (relay/src/links/self-service.ts LINK_REQUEST_MS). */
export const LINK_STATE_MS = 10 * 60_000;
/** The cookie that binds a started link to the browser that started it. */
export const LINK_COOKIE = 'cds_link';

export interface LinkState {
  course: string;
  user: string;
  role: PageRole;
  courseTitle: string;
  nonce: string;
  /** Expiry, ms since the epoch. */
  exp: number;
}

function stateKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('cds-lti-tool link state v1').digest();
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', stateKey(secret)).update(body).digest('base64url');
}

/** A fresh state for the launch's user, with the nonce the cookie must carry. */
export function signLinkState(
  identity: PageIdentity,
  secret: string,
  now = Date.now(),
): { state: string; nonce: string } {
  const nonce = randomBytes(16).toString('base64url');
  const claims: LinkState = {
    course: identity.course,
    user: identity.user,
    role: identity.role,
    courseTitle: identity.courseTitle.slice(0, 200),
    nonce,
    exp: now + LINK_STATE_MS,
  };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return { state: `${body}.${mac(body, secret)}`, nonce };
}

const AGAIN = 'Open the tool again from Canvas and press "Link my forum account" again.';

/**
 * The launch a callback's state names, or a refusal in words: altered or forged (bad MAC),
 * expired, or brought back to a browser that did not start it (cookie nonce differs).
 */
export function verifyLinkState(
  state: unknown,
  cookieNonce: string | undefined,
  secret: string,
  now = Date.now(),
): LinkState {
  const [body, signature, extra] = typeof state === 'string' ? state.split('.') : [];
  if (!body || !signature || extra !== undefined)
    throw new CdsError(
      'ERR_MALFORMED',
      `This page was opened without the link request it answers (no "state"). ${AGAIN}`,
    );
  const expected = Buffer.from(mac(body, secret));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    throw new CdsError(
      'ERR_BAD_SIGNATURE',
      `The link request coming back from Discourse was altered or not made by this tool, so nothing was linked. ${AGAIN}`,
    );
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkState;
  if (claims.exp < now)
    throw new CdsError(
      'ERR_EXPIRED',
      `The link request expired (it is valid for ${LINK_STATE_MS / 60_000} minutes), so nothing was linked. ${AGAIN}`,
    );
  const nonce = Buffer.from(claims.nonce);
  const cookie = Buffer.from(cookieNonce ?? '');
  if (nonce.length !== cookie.length || !timingSafeEqual(nonce, cookie))
    throw new CdsError(
      'ERR_FORBIDDEN',
      `This link request was started in another browser (or this browser refused the tool's cookie), so it cannot link an account here: a forum account is linked only by the person who asked for it. ${AGAIN}`,
    );
  return claims;
}

/** The cookie header value that binds `nonce` to this browser, for the callback's path only. */
export function linkCookie(nonce: string, secure: boolean, path: string): string {
  return [
    `${LINK_COOKIE}=${nonce}`,
    `Path=${path}`,
    `Max-Age=${LINK_STATE_MS / 1000}`,
    'HttpOnly',
    // Lax: sent when Discourse sends the browser back (a top-level GET from another site).
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** The nonce in a Cookie header, if any. */
export function cookieNonce(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === LINK_COOKIE) return value.join('=');
  }
  return undefined;
}

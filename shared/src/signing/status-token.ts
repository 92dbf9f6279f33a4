import { z } from 'zod';
import { Expired, Forbidden, InvalidEvent } from '../errors.js';
import { canvasId } from '../events/payloads/common.js';
import { baseToken } from './sign.js';
import type { KeyGrant, KeyResolver, Signer } from './keys.js';
import { verifyToken } from './verify.js';

/** JWS `typ` of a status-API token: a person's read access to one course (DESIGN.md section 6). */
export const STATUS_TOKEN_TYPE = 'cds-status+jwt';

/** Longest lifetime the relay accepts: the LTI page asks for a new token when one runs out. */
export const MAX_STATUS_TOKEN_SECONDS = 15 * 60;

/**
 * What a status token lets its bearer read: one Canvas course, as an instructor (everything of the
 * course) or as a student (only the entities that name them). Ids as the events' keys carry them.
 */
export const statusScopeSchema = z.object({
  course: canvasId,
  role: z.enum(['instructor', 'student']),
  /** The Canvas user the token was minted for (their launch). */
  user: canvasId,
});
export type StatusScope = z.infer<typeof statusScopeSchema>;

/**
 * Mints a status token for a launch: signed by the LTI tool's key, `sub` the user, `scope` what
 * they may read, valid for `ttlSeconds` (default 10 minutes, at most MAX_STATUS_TOKEN_SECONDS).
 */
export function signStatusToken(
  scope: StatusScope,
  signer: Signer,
  options: { ttlSeconds?: number; now?: number } = {},
): Promise<string> {
  const ttl = Math.min(options.ttlSeconds ?? 600, MAX_STATUS_TOKEN_SECONDS);
  const now = options.now ?? Date.now();
  return baseToken(signer, STATUS_TOKEN_TYPE, { scope }, now)
    .setSubject(scope.user)
    .setExpirationTime(Math.floor(now / 1000) + ttl)
    .sign(signer.key);
}

/**
 * Verifies a status token: a trusted key that speaks for Canvas (the LTI tool's; a course scope is
 * Canvas's to grant), not expired, not minted for longer than MAX_STATUS_TOKEN_SECONDS, and a
 * well-formed scope. Throws a CdsError saying which of these failed.
 */
export async function verifyStatusToken(
  token: string,
  keys: KeyResolver,
  options: { now?: number } = {},
): Promise<{ scope: StatusScope; grant: KeyGrant }> {
  const { payload, claims, grant } = await verifyToken(token, keys, STATUS_TOKEN_TYPE, {
    currentDate: options.now === undefined ? undefined : new Date(options.now),
  });
  if (!grant.sources.includes('canvas')) {
    throw new Forbidden(
      `key "${grant.kid}" of producer "${grant.producer}" does not speak for canvas: it cannot grant access to a course`,
    );
  }
  if (typeof payload.exp !== 'number') {
    throw new InvalidEvent('status token has no "exp": it must expire');
  }
  if (payload.exp - claims.iat > MAX_STATUS_TOKEN_SECONDS) {
    throw new Expired(
      `status token lives ${payload.exp - claims.iat} s; the most accepted is ${MAX_STATUS_TOKEN_SECONDS} s`,
    );
  }
  const scope = statusScopeSchema.safeParse(payload.scope);
  if (!scope.success || payload.sub !== scope.data.user) {
    throw new InvalidEvent(
      'status token has no valid "scope" ({course, role: instructor|student, user}) matching its "sub"',
    );
  }
  return { scope: scope.data, grant };
}

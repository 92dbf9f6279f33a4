import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { CdsError } from '@cds/shared';

/**
 * Who a request acts for. Only admins exist today; scoped principals (an instructor's courses from
 * the LTI tool, a Discourse user's token from the plugin) join this union later (DESIGN.md section 6).
 */
export type Principal = { kind: 'admin' };

/** Turns a bearer token into a principal, or undefined when it is not one this verifier knows. */
export interface TokenVerifier {
  verify(token: string): Principal | undefined | Promise<Principal | undefined>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The admin token (RELAY_ADMIN_TOKEN), compared in constant time: both sides are hashed first, so
 * the comparison neither leaks the token's length nor depends on where the first difference is.
 */
export function adminTokenVerifier(adminToken: string): TokenVerifier {
  const expected = digest(adminToken);
  return {
    verify: (token) => (timingSafeEqual(digest(token), expected) ? { kind: 'admin' } : undefined),
  };
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i;

export interface BearerAuthOptions {
  /** Tried in order; the first principal wins. Empty means nobody can be let in. */
  verifiers: readonly TokenVerifier[];
  /** Why nobody can be let in when `verifiers` is empty (sent with a 503). */
  unconfiguredReason?: string;
}

/**
 * Requires `Authorization: Bearer <token>` that a verifier accepts and puts the principal in
 * `res.locals.principal`. Missing or malformed: 401 with `WWW-Authenticate: Bearer`; not accepted:
 * 401 with `error="invalid_token"` (RFC 6750). No verifiers configured: 503, never open.
 */
export function bearerAuth(options: BearerAuthOptions): RequestHandler {
  return async (req, res, next) => {
    if (options.verifiers.length === 0) {
      return next(
        new CdsError(
          'ERR_UNAVAILABLE',
          options.unconfiguredReason ?? 'no credentials are configured for this API',
        ),
      );
    }
    const header = req.get('authorization');
    if (!header) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="cds"');
      return next(
        new CdsError('ERR_UNAUTHORIZED', 'missing credentials: send Authorization: Bearer <token>'),
      );
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="cds", error="invalid_request"');
      return next(
        new CdsError(
          'ERR_UNAUTHORIZED',
          'malformed Authorization header: send Authorization: Bearer <token>',
        ),
      );
    }
    for (const verifier of options.verifiers) {
      const principal = await verifier.verify(token);
      if (principal) {
        res.locals.principal = principal;
        return next();
      }
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="cds", error="invalid_token"');
    next(new CdsError('ERR_UNAUTHORIZED', 'the bearer token is not valid for this relay'));
  };
}

/** The relay's status API access: the admin token when one is configured. */
export function relayAuth(adminToken: string | undefined): RequestHandler {
  return bearerAuth({
    verifiers: adminToken ? [adminTokenVerifier(adminToken)] : [],
    unconfiguredReason:
      'the status API is disabled: set RELAY_ADMIN_TOKEN (at least 16 characters) and restart the relay',
  });
}

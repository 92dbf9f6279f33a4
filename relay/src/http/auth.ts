import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import {
  CdsError,
  toCdsError,
  verifyStatusToken,
  type KeyResolver,
  type StatusScope,
} from '@cds/shared';
import { isDiscourseToken, verifyDiscourseToken, type DiscourseScope } from './discourse-token.js';

/**
 * Who a request acts for (DESIGN.md section 6): an admin (RELAY_ADMIN_TOKEN), a person reading
 * one course with a status token the LTI tool minted at their launch, or a Discourse user with a
 * token the Discourse plugin minted (what each may see: status/scope.ts).
 */
export type Principal =
  | { kind: 'admin' }
  | ({ kind: 'course' } & StatusScope)
  | ({ kind: 'discourse' } & DiscourseScope & {
        /** The Canvas courses linked to the categories they moderate (DESIGN.md section 3b). */
        courses: string[];
      });

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

/**
 * Status tokens (`cds-status+jwt`, shared/src/signing/status-token.ts) signed by a trusted key that
 * speaks for Canvas. A bearer that is not a JWS is left to the other verifiers; a JWS that fails is
 * refused with the reason (expired, wrong key, malformed scope), never silently.
 */
export function statusTokenVerifier(keys: KeyResolver): TokenVerifier {
  return {
    async verify(token) {
      if (token.split('.').length !== 3) return undefined;
      try {
        const { scope } = await verifyStatusToken(token, keys);
        return { kind: 'course', ...scope };
      } catch (error) {
        throw new CdsError(
          'ERR_UNAUTHORIZED',
          `status token refused: ${toCdsError(error).message}`,
        );
      }
    },
  };
}

const DISCOURSE_DISABLED =
  "Discourse status tokens are not accepted: set DISCOURSE_TOKEN_SECRET (the plugin's cds_sync_token_secret, at least 32 characters) and restart the relay";

/**
 * The Discourse plugin's tokens (`cds-discourse+jwt`, HS256 with DISCOURSE_TOKEN_SECRET). Other
 * bearers are left to the other verifiers; a plugin token that fails is refused with the reason,
 * and one that arrives while no secret is set answers 503 naming the setting.
 */
export function discourseTokenVerifier(
  secret: string | undefined,
  options: Pick<StatusAuthOptions, 'clockSkewMs' | 'coursesOfCategories'> = {},
): TokenVerifier {
  return {
    async verify(token) {
      if (!isDiscourseToken(token)) return undefined;
      if (!secret) throw new CdsError('ERR_UNAVAILABLE', DISCOURSE_DISABLED);
      const scope = verifyDiscourseToken(token, secret, options);
      const courses =
        scope.categories.length > 0
          ? ((await options.coursesOfCategories?.(scope.categories)) ?? [])
          : [];
      return { kind: 'discourse', ...scope, courses };
    },
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
    try {
      for (const verifier of options.verifiers) {
        const principal = await verifier.verify(token);
        if (principal) {
          res.locals.principal = principal;
          return next();
        }
      }
      throw new CdsError('ERR_UNAUTHORIZED', 'the bearer token is not valid for this relay');
    } catch (error) {
      if (toCdsError(error).code === 'ERR_UNAUTHORIZED')
        res.setHeader('WWW-Authenticate', 'Bearer realm="cds", error="invalid_token"');
      next(error);
    }
  };
}

const ADMIN_DISABLED =
  'admin access is disabled: set RELAY_ADMIN_TOKEN (at least 16 characters) and restart the relay';

/** Answers every non-JWS bearer with 503 naming RELAY_ADMIN_TOKEN: never open, never a bare 401. */
const adminDisabled: TokenVerifier = {
  verify() {
    throw new CdsError('ERR_UNAVAILABLE', ADMIN_DISABLED);
  },
};

export interface StatusAuthOptions {
  /** DISCOURSE_TOKEN_SECRET: admits the Discourse plugin's tokens. Unset: they answer 503. */
  discourseTokenSecret?: string;
  /** Tolerated clock difference for the plugin tokens' `exp` and `iat`. @defaultValue 30_000 */
  clockSkewMs?: number;
  /** The Canvas courses linked to these Discourse categories. @defaultValue none */
  coursesOfCategories?: (categoryIds: readonly number[]) => Promise<string[]>;
}

/**
 * The relay's API access: the admin token (RELAY_ADMIN_TOKEN), and, given trusted `keys`, the
 * status API's person-scoped tokens: the LTI tool's course tokens and the Discourse plugin's
 * (the status API passes `keys`; `/metrics` does not). Without an admin token, admin access
 * answers 503 naming the setting.
 */
export function relayAuth(
  adminToken: string | undefined,
  keys?: KeyResolver,
  options: StatusAuthOptions = {},
): RequestHandler {
  const admin = adminToken ? adminTokenVerifier(adminToken) : adminDisabled;
  // The plugin's verifier goes first: it claims only its own `typ`, the LTI tool's claims any JWS.
  const people = keys
    ? [discourseTokenVerifier(options.discourseTokenSecret, options), statusTokenVerifier(keys)]
    : [];
  return bearerAuth({
    verifiers: adminToken || keys ? [...people, admin] : [],
    unconfiguredReason: ADMIN_DISABLED,
  });
}

/** The principal bearerAuth found for this request. */
export function principalOf(locals: Record<string, unknown>): Principal {
  const principal = locals.principal as Principal | undefined;
  if (!principal) throw new CdsError('ERR_UNAUTHORIZED', 'no credentials were checked');
  return principal;
}

// Canvas's OAuth2 token endpoint for LTI Advantage services (client_credentials grant with a JWT
// client assertion signed by the tool's key), and the access-token check its services run.
// https://canvas.instructure.com/doc/api/file.oauth_endpoints.html#post-login-oauth2-token
// https://www.imsglobal.org/spec/security/v1p0/#using-json-web-tokens-with-oauth-2-0-client-credentials-grant
// Canvas's checks: lib/canvas/oauth/grant_types/client_credentials.rb,
// asymmetric_client_credentials_provider.rb, app/controllers/lti/ims/concerns/lti_services.rb
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  createLocalJWKSet,
  decodeJwt,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { authorizationServer, tokenEndpoint, type PlatformContext } from './context.js';
import { serviceError } from './http.js';
import type { IssuedAccessToken, LtiRegistration } from './store.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_LIFETIME = 3600;

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}

/** Verifies the tool's assertion with its registered JWKS URL or public JWK. */
async function verifyAssertion(
  ctx: PlatformContext,
  registration: LtiRegistration,
  assertion: string,
): Promise<JWTPayload | string> {
  let payload: JWTPayload;
  try {
    if (registration.jwksUri) {
      const answer = await fetch(registration.jwksUri, { signal: AbortSignal.timeout(5000) });
      const jwks = (await answer.json()) as JSONWebKeySet;
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
        algorithms: ['RS256'],
      }));
    } else if (registration.publicJwk) {
      const key = await importJWK({ ...registration.publicJwk, alg: 'RS256' }, 'RS256');
      ({ payload } = await jwtVerify(assertion, key, { algorithms: ['RS256'] }));
    } else {
      return 'JWS signature invalid.';
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return 'the JWT has expired';
    return 'JWS signature invalid.';
  }
  // Canvas::Security::JwtValidator with require_iss, the token endpoint as audience.
  if (typeof payload.iss !== 'string' || payload.iss === '') return "the 'iss' is missing";
  if (payload.sub !== registration.clientId) return "the 'sub' is invalid";
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.includes(tokenEndpoint(ctx)) && !aud.includes(authorizationServer(ctx))) {
    return "the 'aud' is invalid";
  }
  if (typeof payload.exp !== 'number') return "the 'exp' is missing";
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > now + 60) return "the 'iat' is invalid";
  if (now - payload.iat > 5 * 60) return 'the JWT is too old';
  return payload;
}

async function token(ctx: PlatformContext, req: Request, res: Response): Promise<void> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const field = (name: string): string | undefined =>
    typeof body[name] === 'string' ? (body[name] as string) : undefined;
  if (field('grant_type') !== 'client_credentials') {
    return oauthError(
      res,
      400,
      'unsupported_grant_type',
      'The grant_type you requested is not currently supported',
    );
  }
  const assertion = field('client_assertion');
  if (field('client_assertion_type') !== JWT_BEARER || !assertion) {
    return oauthError(res, 401, 'invalid_client', 'unknown client');
  }
  let clientId: unknown;
  try {
    clientId = decodeJwt(assertion).sub;
  } catch {
    return oauthError(res, 400, 'invalid_request', 'JWS signature invalid.');
  }
  const registration = ctx.store.registrations.get(String(clientId));
  if (!registration) return oauthError(res, 400, 'invalid_request', 'JWS signature invalid.');
  const verified = await verifyAssertion(ctx, registration, assertion);
  if (typeof verified === 'string') return oauthError(res, 400, 'invalid_request', verified);

  const requested = (field('scope') ?? field('scopes') ?? '').split(' ').filter(Boolean);
  const missing = requested.filter((s) => !registration.scopes.includes(s));
  if (missing.length > 0) {
    return oauthError(
      res,
      400,
      'invalid_scope',
      'A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the ' +
        `resource owner. The following scopes were requested, but not granted: ${missing.join(', ')}`,
    );
  }
  const issued: IssuedAccessToken = {
    jti: randomUUID(),
    clientId: registration.clientId,
    scopes: requested,
    expiresAt: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME,
  };
  ctx.store.accessTokens.set(issued.jti, issued);
  const accessToken = await new SignJWT({ scopes: requested.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ctx.issuer)
    .setSubject(registration.clientId)
    .setAudience(tokenEndpoint(ctx))
    .setIssuedAt()
    .setExpirationTime(issued.expiresAt)
    .setJti(issued.jti)
    .sign(ctx.keys.secret);
  res.json({
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: TOKEN_LIFETIME,
    scope: requested.join(' '),
  });
}

export function tokenRouter(ctx: PlatformContext): express.Router {
  const router = express.Router();
  router.post(
    '/login/oauth2/token',
    express.urlencoded({ extended: false }),
    express.json(),
    (req, res) => token(ctx, req, res),
  );
  return router;
}

/** What a service handler knows about its caller once the access token checked out. */
export interface ServiceCaller {
  registration: LtiRegistration;
  scopes: string[];
}

/** res.locals key of the ServiceCaller. */
export const CALLER = 'ltiCaller';

/**
 * Middleware of every LTI Advantage service: a valid access token from the token endpoint, of a
 * known developer key, whose scopes satisfy `allowed` (Canvas answers 401 for each failure).
 */
export function requireScopes(ctx: PlatformContext, allowed: (scopes: string[]) => boolean) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization') ?? '';
    const raw = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    if (!raw) return serviceError(res, 401, 'Missing access token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(raw, ctx.keys.secret, {
        algorithms: ['HS256'],
        audience: tokenEndpoint(ctx),
        issuer: ctx.issuer,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return serviceError(res, 401, 'Access token expired');
      return serviceError(res, 401, 'Access token invalid - signature likely incorrect');
    }
    const registration = ctx.store.registrations.get(String(payload.sub));
    if (!registration) return serviceError(res, 401, 'Unknown or inactive Developer Key');
    const scopes =
      typeof payload.scopes === 'string' ? payload.scopes.split(' ').filter(Boolean) : [];
    if (!allowed(scopes)) return serviceError(res, 401, 'Insufficient permissions');
    const caller: ServiceCaller = { registration, scopes };
    res.locals[CALLER] = caller;
    next();
  };
}

export const allOf =
  (...needed: string[]) =>
  (scopes: string[]): boolean =>
    needed.every((s) => scopes.includes(s));
export const anyOf =
  (...needed: string[]) =>
  (scopes: string[]): boolean =>
    needed.some((s) => scopes.includes(s));

// Refuses a launch whose deployment_id was never registered for its platform. ltijs 5.9.9 checks
// that the claim is present, not that it is known (src/Utils/Auth.js claimValidation), so this runs
// before ltijs's session validator (ltijs's `serverAddon` hook) and the token never becomes a
// session. The claims read here are the ones ltijs then verifies: the same id_token.
// LTI 1.3 core: https://www.imsglobal.org/spec/lti/v1p3/#lti-deployment-id-claim
import type { NextFunction, Request, Response } from 'express';
import { Forbidden } from '@cds/shared';
import type { PlatformRegistry } from '../platforms.js';

const DEPLOYMENT_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/deployment_id';

interface LaunchClaims {
  iss?: unknown;
  aud?: unknown;
  azp?: unknown;
  [DEPLOYMENT_CLAIM]?: unknown;
}

/** The id_token's payload, unverified (ltijs verifies it next); undefined when it is not a JWT. */
function peekClaims(idToken: string): LaunchClaims | undefined {
  const payload = idToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as LaunchClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** The client id the token is for: `aud`, or `azp` when `aud` lists several (OIDC core 3.1.3.7). */
function clientIdOf(claims: LaunchClaims): string | undefined {
  if (typeof claims.aud === 'string') return claims.aud;
  if (Array.isArray(claims.aud))
    return typeof claims.azp === 'string' ? claims.azp : (claims.aud[0] as string | undefined);
  return undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function refuse(res: Response, error: Forbidden): void {
  res.status(403).format({
    html: () =>
      res.send(
        `<!doctype html><meta charset="utf-8"><title>Launch refused</title><h1>Launch refused</h1><p>${escapeHtml(error.message)}</p>`,
      ),
    default: () => res.json({ error: error.toJSON() }),
  });
}

export function unknownDeploymentError(
  issuer: string,
  clientId: string,
  deploymentId: string,
): Forbidden {
  return new Forbidden(
    `This launch comes from deployment "${deploymentId}" of ${issuer} (client id ${clientId}), which is not registered with this tool. ` +
      `An administrator can allow it with: cds lti platforms add --issuer ${issuer} --client-id ${clientId} --deployment-id ${deploymentId}`,
  );
}

export function deploymentGuard(platforms: PlatformRegistry) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const idToken: unknown = (req.body as { id_token?: unknown } | undefined)?.id_token;
    if (req.method !== 'POST' || typeof idToken !== 'string') return next();
    const claims = peekClaims(idToken);
    const clientId = claims && clientIdOf(claims);
    const deploymentId = claims?.[DEPLOYMENT_CLAIM];
    // Anything malformed or from an unknown platform is ltijs's to refuse, with its own reason.
    if (!claims || typeof claims.iss !== 'string' || !clientId || typeof deploymentId !== 'string')
      return next();
    try {
      if (!(await platforms.has(claims.iss, clientId))) return next();
      if (await platforms.hasDeployment(claims.iss, clientId, deploymentId)) return next();
      refuse(res, unknownDeploymentError(claims.iss, clientId, deploymentId));
    } catch (error) {
      next(error);
    }
  };
}

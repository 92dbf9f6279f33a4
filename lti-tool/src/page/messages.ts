// Launches ltijs refuses, in words: what was wrong and what the person can do. ltijs 5.9.9 reports
// a code (src/Utils/Auth.js validateToken, Provider.js sessionValidator) in res.locals.err; we
// answer a page (or JSON for a script) instead of its bare 401 JSON.
import type { Request, Response } from 'express';
import { escapeHtml } from './render.js';

const OPEN_AGAIN = 'Open the tool again from the course navigation in Canvas.';

interface LaunchClaims {
  iss?: unknown;
  aud?: unknown;
  iat?: unknown;
  exp?: unknown;
}

/** The posted id_token's claims, unverified: only to name them in the message. */
function peek(req: Request): LaunchClaims {
  const idToken = (req.body as { id_token?: unknown } | undefined)?.id_token;
  if (typeof idToken !== 'string') return {};
  try {
    const claims: unknown = JSON.parse(
      Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    return claims && typeof claims === 'object' ? (claims as LaunchClaims) : {};
  } catch {
    return {};
  }
}

const at = (seconds: unknown) =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'an unknown time';

/** Why ltijs refused, as a sentence; `code` is ltijs's message. */
export function launchRefusal(code: string, req: Request): string {
  const claims = peek(req);
  const platformError = (req.body as { error_description?: unknown } | undefined)
    ?.error_description;
  switch (code) {
    case 'MISSING_VALIDATION_COOKIE':
      return `Launch refused: bad state. The launch's state does not match a login started in this browser (it was altered, or the browser did not keep the tool's cookie), so it could be a forged launch. ${OPEN_AGAIN}`;
    case 'ISS_CLAIM_DOES_NOT_MATCH':
      return `Launch refused: wrong issuer. The id_token says it comes from ${String(claims.iss)}, but the login was started by another platform. ${OPEN_AGAIN}`;
    case 'UNREGISTERED_PLATFORM':
    case 'AZP_DOES_NOT_MATCH_CLIENTID':
      return `Launch refused: wrong audience. The id_token is for client id ${JSON.stringify(claims.aud)} of ${String(claims.iss)}, which is not registered with this tool. If this is a new Canvas developer key, an administrator registers it with: cds lti platforms add --issuer ${String(claims.iss)} --client-id <client id> --deployment-id <deployment id>.`;
    case 'PLATFORM_NOT_ACTIVATED':
      return `Launch refused: the platform ${String(claims.iss)} is registered but not activated with this tool.`;
    case 'NONCE_ALREADY_RECEIVED':
      return `Launch refused: replayed launch. This id_token's nonce was already used; each launch can be used once. ${OPEN_AGAIN}`;
    case 'TOKEN_TOO_OLD':
    case 'jwt expired':
      return `Launch refused: expired id_token. It was issued at ${at(claims.iat)} and is no longer valid (expires ${at(claims.exp)}). ${OPEN_AGAIN} If this keeps happening, the clocks of Canvas and this tool disagree.`;
    case 'invalid signature':
    case 'KEY_NOT_FOUND':
    case 'KID_NOT_FOUND':
      return `Launch refused: the id_token's signature does not verify with the platform's published keys, so it may be forged. ${OPEN_AGAIN}`;
    case 'NO_LTIK_OR_IDTOKEN_FOUND':
      return typeof platformError === 'string'
        ? `Canvas refused the launch: ${platformError}. ${OPEN_AGAIN}`
        : `This page opens only from Canvas (no launch was found). ${OPEN_AGAIN}`;
    case 'Session not found.':
      return `Your session with the sync tool has ended. ${OPEN_AGAIN}`;
    default:
      return `Launch refused: the launch could not be verified (${code}). ${OPEN_AGAIN}`;
  }
}

/**
 * Answers a refused launch or request: JSON (first, for scripts and clients that name no type,
 * with ltijs's `details.message` code kept) or an HTML page for a browser.
 */
export function sendRefusal(
  req: Request,
  res: Response,
  status: number,
  message: string,
  ltijsCode?: string,
): void {
  res.status(status).format({
    json: () =>
      res.json({
        error: { code: status === 403 ? 'ERR_FORBIDDEN' : 'ERR_UNAUTHORIZED', message },
        ...(ltijsCode ? { details: { message: ltijsCode } } : {}),
      }),
    html: () =>
      res.send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Discourse sync: refused</title></head><body><main><h1>Discourse sync</h1><div role="alert"><p id="cds-refusal">${escapeHtml(message)}</p></div></main></body></html>`,
      ),
  });
}

/** ltijs's onInvalidToken / onSessionTimeout handler. */
export function ltijsRefusal(req: Request, res: Response): void {
  const err = res.locals.err as { status?: number; details?: { message?: unknown } } | undefined;
  const code = typeof err?.details?.message === 'string' ? err.details.message : 'unknown';
  sendRefusal(req, res, err?.status ?? 401, launchRefusal(code, req), code);
}

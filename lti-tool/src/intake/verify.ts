// Reads what Canvas POSTs to the Live Events endpoint. With "Sign Payload" the body is a compact
// JWT (RS256) whose claims are the event, signed with a key of Canvas's Live Events JWKS, which
// holds the previous, current and next keys by `kid` and rotates monthly
// (https://developerdocs.instructure.com/services/canvas/data-services/live-events/overview/file.data_service_setup;
// https://community.canvaslms.com/t5/Admin-Guide/How-do-I-configure-Live-Events-for-Canvas-Data-Services/ta-p/162).
// The Content-Type header is not to be trusted for this: the token may come as application/jwt,
// text/plain, or JSON (a JSON string holding the token). Without signing the body is the event JSON.
import { CdsError } from '@cds/shared';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** A JWS in compact serialization: three base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface LiveEventsVerifierOptions {
  /** CANVAS_LIVE_EVENTS_JWKS_URL; without it, signed bodies cannot be verified (refused). */
  jwksUrl?: string;
  /** CANVAS_LIVE_EVENTS_UNSIGNED=allow: accept unsigned JSON bodies (testing only). @defaultValue false */
  allowUnsigned?: boolean;
  /** Wait at least this long between JWKS fetches for an unknown `kid`. @defaultValue 30000 */
  jwksCooldownMs?: number;
  /** Fetch the JWKS again after this long even when every `kid` is known. @defaultValue 600000 */
  jwksMaxAgeMs?: number;
  /** Clock tolerance for `exp`/`nbf` when Canvas sets them. @defaultValue 60 (seconds) */
  clockToleranceSeconds?: number;
}

/** A refusal with the HTTP status to answer and a reason in words. */
export class IntakeError extends CdsError {
  constructor(
    readonly status: 400 | 401 | 413 | 503,
    code: CdsError['code'],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** What a body turned out to be: the event (claims or JSON) and whether a signature covered it. */
export interface ReadEvent {
  event: unknown;
  signed: boolean;
  kid?: string;
}

export type LiveEventsVerifier = (body: string) => Promise<ReadEvent>;

/** Builds the body reader: verifies signed bodies, refuses unsigned ones unless allowed. */
export function createLiveEventsVerifier(options: LiveEventsVerifierOptions): LiveEventsVerifier {
  const keys: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: options.jwksMaxAgeMs ?? 600_000,
        timeoutDuration: 5_000,
      })
    : undefined;
  const tolerance = options.clockToleranceSeconds ?? 60;

  return async (raw: string): Promise<ReadEvent> => {
    const text = raw.trim();
    if (text === '')
      throw new IntakeError(400, 'ERR_MALFORMED', 'empty body: expected a Live Event');
    let token: string | undefined;
    let json: unknown;
    if (COMPACT_JWS.test(text)) token = text;
    else {
      try {
        json = JSON.parse(text);
      } catch {
        throw new IntakeError(
          400,
          'ERR_MALFORMED',
          'body is neither a signed Live Event (a compact JWT) nor JSON',
        );
      }
      if (typeof json === 'string') {
        if (!COMPACT_JWS.test(json.trim()))
          throw new IntakeError(
            400,
            'ERR_MALFORMED',
            'body is a JSON string but not a compact JWT',
          );
        token = json.trim();
      }
    }
    if (token === undefined) {
      if (options.allowUnsigned) return { event: json, signed: false };
      throw new IntakeError(
        401,
        'ERR_UNAUTHORIZED',
        'unsigned Live Event refused: enable "Sign Payload" on the Canvas Live Events subscription (or set CANVAS_LIVE_EVENTS_UNSIGNED=allow, for testing only)',
      );
    }
    if (!keys)
      throw new IntakeError(
        401,
        'ERR_UNAUTHORIZED',
        'signed Live Event cannot be verified: CANVAS_LIVE_EVENTS_JWKS_URL is not set',
      );
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        clockTolerance: tolerance,
      });
      return { event: payload, signed: true, kid: protectedHeader.kid };
    } catch (error) {
      throw refusal(error);
    }
  };
}

/** A jose failure as the answer Canvas gets: 401 for a bad token, 503 when the JWKS is out of reach. */
function refusal(error: unknown): IntakeError {
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new IntakeError(
      401,
      'ERR_BAD_SIGNATURE',
      'Live Event signature does not verify: forged or altered',
      { cause: error },
    );
  if (error instanceof errors.JWKSNoMatchingKey)
    return new IntakeError(
      401,
      'ERR_UNKNOWN_KEY',
      "Live Event is signed with a key (kid) that is not in Canvas's Live Events JWKS",
      { cause: error },
    );
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new IntakeError(401, 'ERR_BAD_SIGNATURE', 'Live Event must be signed with RS256', {
      cause: error,
    });
  if (error instanceof errors.JWTExpired)
    return new IntakeError(401, 'ERR_EXPIRED', `Live Event token expired: ${error.message}`, {
      cause: error,
    });
  if (error instanceof errors.JWTClaimValidationFailed)
    return new IntakeError(
      401,
      'ERR_BAD_SIGNATURE',
      `Live Event token claims refused: ${error.message}`,
      { cause: error },
    );
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return new IntakeError(
      400,
      'ERR_MALFORMED',
      `Live Event token is malformed: ${error.message}`,
      { cause: error },
    );
  // The JWKS could not be fetched or read: Canvas retries a 503, so the event is not lost.
  const message = error instanceof Error ? error.message : String(error);
  return new IntakeError(
    503,
    'ERR_UNAVAILABLE',
    `Canvas's Live Events JWKS is unavailable: ${message}`,
    { cause: error },
  );
}

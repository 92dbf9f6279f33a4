import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { CdsError } from '../errors.js';
import { BadSignature, Expired, Forbidden, InvalidEvent, isCdsError } from '../errors.js';
import { checkEventLimits, type EventLimits } from '../events/limits.js';
import { eventHash } from './hash.js';
import {
  grantOf,
  MAX_PRODUCER_LENGTH,
  SIGNING_ALG,
  type KeyGrant,
  type KeyResolver,
  type TrustedJwk,
} from './keys.js';
import { BATCH_TOKEN_TYPE, EVENT_TOKEN_TYPE } from './sign.js';

/** The claims every producer token has once verified. */
export interface VerifiedClaims extends JWTPayload {
  jti: string;
  iat: number;
  iss: string;
}

/** Maps jose's failures to ours, with a reason a producer can act on. */
function fromJoseError(error: unknown): CdsError {
  if (isCdsError(error)) return error;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new BadSignature('signature does not match the signed content (forged or altered)', {
      cause: error,
    });
  }
  if (error instanceof joseErrors.JWTExpired) {
    return new Expired(`token expired (its "exp" has passed): get a new one`, { cause: error });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new BadSignature(`algorithm not allowed: only ${SIGNING_ALG} is accepted`, {
      cause: error,
    });
  }
  if (error instanceof joseErrors.JOSEError) {
    return new BadSignature(`token rejected: ${error.message}`, { cause: error });
  }
  return new BadSignature('token could not be verified', { cause: error });
}

// Printable text only: a NUL or control character cannot be stored (PostgreSQL text) or logged safely.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

function requireClaims(payload: JWTPayload): VerifiedClaims {
  const { jti, iat, iss } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 200 || !PRINTABLE.test(jti)) {
    throw new InvalidEvent(
      'token has no usable "jti" claim (1-200 printable characters): replay protection needs one',
    );
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new InvalidEvent('token has no "iat" claim: the relay cannot check its age');
  }
  if (typeof iss !== 'string' || iss.length === 0) {
    throw new InvalidEvent('token has no "iss" claim naming its producer');
  }
  return payload as VerifiedClaims;
}

/** A token's `iss` must be the producer its key belongs to: a key never speaks for someone else. */
function authorize(claims: VerifiedClaims, jwk: TrustedJwk): KeyGrant {
  const grant = grantOf(jwk);
  if (claims.iss !== grant.producer) {
    const shown =
      claims.iss.length > MAX_PRODUCER_LENGTH || !PRINTABLE.test(claims.iss)
        ? `${JSON.stringify(claims.iss.slice(0, 40))}...`
        : `"${claims.iss}"`;
    throw new Forbidden(
      `token "iss" is ${shown} but key "${grant.kid}" belongs to producer "${grant.producer}"`,
    );
  }
  return grant;
}

/**
 * Verifies any producer token of JWS type `typ`: signature by a trusted key, `jti`/`iat`/`iss`
 * present, and `iss` the key's producer. Callers check their own claims on `payload`.
 */
export async function verifyToken(
  token: string,
  keys: KeyResolver,
  typ: string,
  options: { currentDate?: Date } = {},
): Promise<{ payload: JWTPayload; claims: VerifiedClaims; grant: KeyGrant }> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new BadSignature('not a compact JWS: expected three base64url parts separated by dots');
  }
  let jwk: TrustedJwk | undefined;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header) => keys.cryptoKey((jwk = await keys.resolveJwk(header.kid))),
      { algorithms: [SIGNING_ALG], typ, currentDate: options.currentDate },
    ));
  } catch (error) {
    throw fromJoseError(error);
  }
  const claims = requireClaims(payload);
  return { payload, claims, grant: authorize(claims, jwk!) };
}

/**
 * Verifies a single-event token. Returns the claims and the still unvalidated event (`evt`):
 * authenticity and envelope validation are separate steps so each gets its own error.
 */
export async function verifyEventToken(
  token: string,
  keys: KeyResolver,
  limits?: EventLimits,
): Promise<{ claims: VerifiedClaims; grant: KeyGrant; event: unknown }> {
  const { payload, claims, grant } = await verifyToken(token, keys, EVENT_TOKEN_TYPE);
  if (payload.evt === undefined) throw new InvalidEvent('token carries no "evt" claim');
  checkEventLimits(payload.evt, limits);
  return { claims, grant, event: payload.evt };
}

/** Per event of a batch: authentic (its hash is the one signed at its position) or not. */
export type BatchItemResult =
  | { index: number; authentic: true; event: unknown }
  | { index: number; authentic: false; error: CdsError };

/**
 * Verifies a batch: one signature check, then one hash per event. A bad signature rejects the
 * whole batch (thrown); an event whose hash differs from the signed one is reported alone, so
 * nothing authentic in the same batch is lost.
 */
export async function verifyBatch(
  batch: { jws: unknown; events: unknown },
  keys: KeyResolver,
  limits?: EventLimits,
): Promise<{ claims: VerifiedClaims; grant: KeyGrant; results: BatchItemResult[] }> {
  if (typeof batch.jws !== 'string') throw new BadSignature('batch has no "jws" string');
  if (!Array.isArray(batch.events)) throw new InvalidEvent('batch has no "events" array');
  const { payload, claims, grant } = await verifyToken(batch.jws, keys, BATCH_TOKEN_TYPE);
  const hashes = payload.hashes;
  if (!Array.isArray(hashes) || !hashes.every((h) => typeof h === 'string')) {
    throw new InvalidEvent('batch token carries no "hashes" list');
  }
  if (hashes.length !== batch.events.length) {
    throw new InvalidEvent(
      `batch token signs ${hashes.length} events but the body has ${batch.events.length}`,
    );
  }
  const results = batch.events.map((event: unknown, index): BatchItemResult => {
    let hash: string;
    try {
      checkEventLimits(event, limits); // before hashing: canonicalization recurses
      hash = eventHash(event);
    } catch (error) {
      const failure = isCdsError(error)
        ? error
        : new InvalidEvent(`event ${index} is not JSON`, { cause: error });
      return { index, authentic: false, error: failure };
    }
    return hash === hashes[index]
      ? { index, authentic: true, event }
      : {
          index,
          authentic: false,
          error: new BadSignature(
            `event ${index} is not the one signed at position ${index} (altered?)`,
          ),
        };
  });
  return { claims, grant, results };
}

import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { CdsError } from '../errors.js';
import { BadSignature, InvalidEvent, isCdsError } from '../errors.js';
import { eventHash } from './hash.js';
import { SIGNING_ALG, type KeyRing } from './keys.js';
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

function requireClaims(payload: JWTPayload): VerifiedClaims {
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 200) {
    throw new InvalidEvent('token has no usable "jti" claim: replay protection needs one');
  }
  if (typeof payload.iat !== 'number') {
    throw new InvalidEvent('token has no "iat" claim: the relay cannot check its age');
  }
  if (typeof payload.iss !== 'string' || payload.iss.length === 0) {
    throw new InvalidEvent('token has no "iss" claim naming its producer');
  }
  return payload as VerifiedClaims;
}

async function verifyToken(token: string, keys: KeyRing, typ: string): Promise<JWTPayload> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new BadSignature('not a compact JWS: expected three base64url parts separated by dots');
  }
  try {
    const { payload } = await jwtVerify(token, keys.resolve, { algorithms: [SIGNING_ALG], typ });
    return payload;
  } catch (error) {
    throw fromJoseError(error);
  }
}

/**
 * Verifies a single-event token. Returns the claims and the still unvalidated event (`evt`):
 * authenticity and envelope validation are separate steps so each gets its own error.
 */
export async function verifyEventToken(
  token: string,
  keys: KeyRing,
): Promise<{ claims: VerifiedClaims; event: unknown }> {
  const payload = await verifyToken(token, keys, EVENT_TOKEN_TYPE);
  const claims = requireClaims(payload);
  if (payload.evt === undefined) throw new InvalidEvent('token carries no "evt" claim');
  return { claims, event: payload.evt };
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
  keys: KeyRing,
): Promise<{ claims: VerifiedClaims; results: BatchItemResult[] }> {
  if (typeof batch.jws !== 'string') throw new BadSignature('batch has no "jws" string');
  if (!Array.isArray(batch.events)) throw new InvalidEvent('batch has no "events" array');
  const payload = await verifyToken(batch.jws, keys, BATCH_TOKEN_TYPE);
  const claims = requireClaims(payload);
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
      hash = eventHash(event);
    } catch (error) {
      return {
        index,
        authentic: false,
        error: new InvalidEvent(`event ${index} is not JSON`, { cause: error }),
      };
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
  return { claims, results };
}

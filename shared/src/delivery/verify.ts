import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { BadSignature, CdsError, Expired, Forbidden, UnknownKey, isCdsError } from '../errors.js';
import { SIGNING_ALG } from '../signing/keys.js';
import {
  DELIVERY_ISSUER,
  DELIVERY_TOKEN_TYPE,
  deliveryClaimsSchema,
  type Delivery,
} from './format.js';

/** The relay's public keys as a receiver knows them. */
export type DeliveryKeys = string | URL | JSONWebKeySet | JWTVerifyGetKey;

export interface RemoteKeyOptions {
  /** Least time between two fetches caused by an unknown `kid`. @defaultValue 30_000 */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again. @defaultValue 600_000 */
  cacheMaxAgeMs?: number;
  /** @defaultValue 5_000 */
  timeoutMs?: number;
}

// One cache per JWKS URL for the whole process, so every verification shares the fetched keys.
const remoteSets = new Map<string, JWTVerifyGetKey>();

/**
 * A key resolver for the relay's JWKS: a URL (normally `<relay>/.well-known/jwks.json`) is fetched
 * once and cached; a `kid` it does not list makes it fetch again (at most once per `cooldownMs`),
 * so a rotated relay key is picked up at once (jose's createRemoteJWKSet). A JWKS document is used
 * as it is. This is the one part of @cds/shared that does I/O, and only for a URL.
 */
export function deliveryKeySet(
  keys: DeliveryKeys,
  options: RemoteKeyOptions = {},
): JWTVerifyGetKey {
  if (typeof keys === 'function') return keys;
  if (typeof keys !== 'string' && !(keys instanceof URL)) return createLocalJWKSet(keys);
  const url = new URL(keys);
  const cacheKey = `${url.href} ${options.cooldownMs ?? ''} ${options.cacheMaxAgeMs ?? ''}`;
  let set = remoteSets.get(cacheKey);
  if (!set) {
    set = createRemoteJWKSet(url, {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
    });
    remoteSets.set(cacheKey, set);
  }
  return set;
}

export interface VerifyDeliveryOptions {
  /** The relay's public keys: its JWKS URL, a JWKS document, or a deliveryKeySet(). */
  keys: DeliveryKeys;
  /** The request's Idempotency-Key header: when given, it must equal the delivery id (`jti`). */
  idempotencyKey?: string;
  /** @defaultValue DELIVERY_ISSUER ('cds-relay') */
  issuer?: string;
  /** How old a delivery's `iat` may be. @defaultValue 300_000 (5 min) */
  maxAgeMs?: number;
  /** How far in the future an `iat` may be. @defaultValue 30_000 */
  clockSkewMs?: number;
  /** @defaultValue Date.now() */
  now?: number;
}

/** A verified delivery: what the relay signed, with when it signed it. */
export interface VerifiedDelivery extends Delivery {
  /** The `iat`, in ms. */
  issuedAt: number;
}

const malformed = (message: string) => new CdsError('ERR_MALFORMED', message);

function kidOf(jws: string): string {
  try {
    return String(decodeProtectedHeader(jws).kid ?? '(none)');
  } catch {
    return '(unreadable)';
  }
}

/** jose's failures as ours, with a reason a receiver can log and act on. */
function fromJoseError(error: unknown, jws: string): CdsError {
  if (isCdsError(error)) return error;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return new BadSignature('delivery signature does not match its content (forged or altered)', {
      cause: error,
    });
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new UnknownKey(`delivery is signed with key "${kidOf(jws)}", not in the relay's JWKS`, {
      cause: error,
    });
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new BadSignature(`delivery algorithm not allowed: only ${SIGNING_ALG} is accepted`, {
      cause: error,
    });
  if (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    !(error instanceof joseErrors.JOSEError)
  ) {
    // The receiver cannot tell yet: it answers 503, and the relay retries.
    const why = error instanceof Error ? error.message : String(error);
    return new CdsError('ERR_UNAVAILABLE', `the relay's JWKS could not be read: ${why}`, {
      cause: error,
    });
  }
  return new BadSignature(`delivery rejected: ${error.message}`, { cause: error });
}

/**
 * Verifies a delivery the relay sent (DESIGN.md section 5b): its signature against the relay's
 * JWKS, `typ`, `iss`, its id (`jti`, equal to the Idempotency-Key header), its freshness (`iat`)
 * and its claims. Throws a CdsError: ERR_BAD_SIGNATURE, ERR_UNKNOWN_KEY, ERR_FORBIDDEN (another
 * issuer), ERR_EXPIRED, ERR_MALFORMED, or ERR_UNAVAILABLE when the JWKS cannot be fetched (answer
 * 503 so the relay retries). The receiver still applies each delivery id only once.
 */
export async function verifyDelivery(
  jws: string,
  options: VerifyDeliveryOptions,
): Promise<VerifiedDelivery> {
  if (typeof jws !== 'string' || jws.trim().split('.').length !== 3)
    throw new BadSignature(
      'delivery is not a compact JWS: expected three base64url parts separated by dots',
    );
  const token = jws.trim();
  let verified;
  try {
    verified = await jwtVerify(token, deliveryKeySet(options.keys), {
      algorithms: [SIGNING_ALG],
      currentDate: new Date(options.now ?? Date.now()),
    });
  } catch (error) {
    throw fromJoseError(error, token);
  }
  const { payload, protectedHeader } = verified;
  if (protectedHeader.typ !== DELIVERY_TOKEN_TYPE)
    throw malformed(
      `token has typ "${String(protectedHeader.typ ?? '')}", expected "${DELIVERY_TOKEN_TYPE}": not a delivery`,
    );
  const issuer = options.issuer ?? DELIVERY_ISSUER;
  if (payload.iss !== issuer)
    throw new Forbidden(
      `delivery is issued by "${String(payload.iss ?? '')}", expected "${issuer}"`,
    );
  const id = payload.jti;
  if (typeof id !== 'string' || id.length === 0)
    throw malformed('delivery has no "jti": its delivery id is missing');
  if (options.idempotencyKey !== undefined && options.idempotencyKey !== id)
    throw malformed(
      `delivery id (jti) "${id}" does not match the Idempotency-Key header "${options.idempotencyKey}"`,
    );
  if (typeof payload.iat !== 'number')
    throw malformed('delivery has no "iat": its age cannot be checked');
  const now = options.now ?? Date.now();
  const issuedAt = payload.iat * 1000;
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  const skewMs = options.clockSkewMs ?? 30_000;
  if (now - issuedAt > maxAgeMs)
    throw new Expired(
      `delivery was signed ${Math.round((now - issuedAt) / 1000)} s ago; at most ${Math.round(maxAgeMs / 1000)} s is accepted`,
    );
  if (issuedAt - now > skewMs)
    throw new Expired(
      `delivery was signed ${Math.round((issuedAt - now) / 1000)} s in the future; at most ${Math.round(skewMs / 1000)} s of clock skew is accepted`,
    );
  const claims = deliveryClaimsSchema.safeParse(payload);
  if (!claims.success) {
    const issue = claims.error.issues[0];
    throw malformed(
      `delivery claims are invalid: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  return { id, issuedAt, ...claims.data };
}

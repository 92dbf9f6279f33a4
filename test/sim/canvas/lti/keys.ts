// The platform's signing keys. Canvas signs id_tokens with an RSA key published at
// /api/lti/security/jwks (RS256), and signs its own opaque tokens (lti_message_hint, registration
// tokens, LTI service access tokens) with a secret only it knows.
// https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html (Canvas's public JWKs)
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface PlatformKeys {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
  /** A key of the same shape that is in no JWKS: what a forger would sign with. */
  rogueKey: KeyObject;
  rogueKid: string;
  /** HMAC secret for the tokens only the platform reads back. */
  secret: Uint8Array;
}

function rsa(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export function createPlatformKeys(): PlatformKeys {
  const { privateKey, publicKey } = rsa();
  const kid = `sim-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const publicJwk: JWK = {
    ...(publicKey.export({ format: 'jwk' }) as JWK),
    kid,
    alg: 'RS256',
    use: 'sig',
  };
  return {
    kid,
    privateKey,
    publicJwk,
    rogueKey: rsa().privateKey,
    rogueKid: kid, // the same kid: only the signature gives the forgery away
    secret: new Uint8Array(randomBytes(32)),
  };
}

/** Signs a platform-internal token (HS256, as Canvas::Security.create_jwt does with its secret). */
export async function signInternal(
  keys: PlatformKeys,
  claims: JWTPayload,
  expiresInSeconds: number,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(keys.secret);
}

/** Reads back a platform-internal token; undefined when forged, malformed or expired. */
export async function readInternal(
  keys: PlatformKeys,
  token: string,
): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(token, keys.secret, { algorithms: ['HS256'] });
    return payload;
  } catch {
    return undefined;
  }
}

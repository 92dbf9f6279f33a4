// Sessions opened without cookies. ltijs 5.9.9 ties every request after a launch to its session
// cookie (src/Provider/Provider.js sessionValidator: `cookies[platformCode]` must name the ltik's
// user, unless devMode), a cookie the browser refuses in a third-party iframe. A launch verified
// through the platform's storage gets an ltik that says so (`cds_storage`: until when), signed with
// ltijs's own ltik key (HS256 with LTI_KEY, as jsonwebtoken signs it); for such an ltik, and only
// until then, the missing cookie is supplied from the ltik itself. Ltiks of cookie launches carry no
// mark and still need their cookie.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const STORAGE_CLAIM = 'cds_storage';

interface LtikClaims {
  platformCode?: unknown;
  user?: unknown;
  [STORAGE_CLAIM]?: unknown;
  [claim: string]: unknown;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(input: string, key: string): string {
  return createHmac('sha256', key).update(input).digest('base64url');
}

/** The claims of an HS256 JWT signed with `key`; undefined when it is anything else. */
export function verifyLtik(ltik: string, key: string): LtikClaims | undefined {
  const parts = ltik.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown })
      .alg;
    if (alg !== 'HS256') return undefined;
    const expected = Buffer.from(sign(`${header}.${payload}`, key));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as LtikClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** ltijs's ltik, re-signed with the mark that its session was opened without cookies. */
export function markLtik(ltik: string, key: string, until: number): string | undefined {
  const claims = verifyLtik(ltik, key);
  if (!claims) return undefined;
  const payload = Buffer.from(JSON.stringify({ ...claims, [STORAGE_CLAIM]: until })).toString(
    'base64url',
  );
  return `${HEADER}.${payload}.${sign(`${HEADER}.${payload}`, key)}`;
}

/** The session cookie a marked, unexpired ltik stands for; undefined for any other ltik. */
export function cookielessSession(
  ltik: string,
  key: string,
  nowSeconds: number,
): { platformCode: string; user: string } | undefined {
  const claims = verifyLtik(ltik, key);
  const until = claims?.[STORAGE_CLAIM];
  if (typeof until !== 'number' || until <= nowSeconds) return undefined;
  if (typeof claims?.platformCode !== 'string' || typeof claims.user !== 'string') return undefined;
  return { platformCode: claims.platformCode, user: claims.user };
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CdsError } from '@cds/shared';

/**
 * Status tokens minted by the Discourse plugin (discourse-plugin/lib/canvas_discourse_sync/
 * token_minter.rb, `GET /cds-sync/token.json`): a compact JWS (RFC 7515) signed HS256 with the
 * secret both sides share (DISCOURSE_TOKEN_SECRET here, cds_sync_token_secret in Discourse). The
 * plugin and this verifier agree byte for byte on discourse-plugin/test/fixtures/status-token-vector.json.
 */

/** JWS `typ` of a plugin token: how it is told apart from the LTI tool's `cds-status+jwt`. */
export const DISCOURSE_TOKEN_TYPE = 'cds-discourse+jwt';
/** The `aud` the plugin mints for. */
export const DISCOURSE_TOKEN_AUDIENCE = 'cds-relay';
/** Longest lifetime accepted, as for the LTI tool's tokens: the plugin asks again when one runs out. */
export const MAX_DISCOURSE_TOKEN_SECONDS = 15 * 60;
/** Shortest DISCOURSE_TOKEN_SECRET (and cds_sync_token_secret) accepted: 256 bits for HS256. */
export const MIN_DISCOURSE_TOKEN_SECRET = 32;

const headerSchema = z.object({ alg: z.string(), typ: z.string().optional() });

/** What a Discourse user's token says about them (Discourse's own view of its user). */
export const discourseScopeSchema = z.object({
  /** The Discourse user id (`sub`). */
  user: z.number().int().positive(),
  username: z.string().min(1).max(60),
  /** admin, site moderator, or anyone else (Discourse's `admin?` / `moderator?`). */
  role: z.enum(['admin', 'moderator', 'user']),
  /** Names of the Discourse groups they are in. */
  groups: z.array(z.string().max(100)).max(1000),
  /** Categories they moderate through category group moderation. */
  categories: z.array(z.number().int().positive()).max(10_000),
});
export type DiscourseScope = z.infer<typeof discourseScopeSchema>;

const claimsSchema = z.object({
  iss: z.string().optional(),
  aud: z.literal(DISCOURSE_TOKEN_AUDIENCE, {
    error: `"aud" must be "${DISCOURSE_TOKEN_AUDIENCE}"`,
  }),
  sub: z.string().regex(/^[1-9]\d{0,15}$/, '"sub" must be a Discourse user id'),
  username: z.string(),
  role: z.string(),
  groups: z.array(z.string()),
  categories: z.array(z.number()),
  iat: z.number({ error: '"iat" must be a number' }).int(),
  exp: z.number({ error: '"exp" is required: the token must expire' }).int(),
});

function decodeSegment(segment: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The JWS header of a compact token, or undefined when `token` is not one. */
function headerOf(token: string): z.infer<typeof headerSchema> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = headerSchema.safeParse(decodeSegment(parts[0]!));
    return header.success ? header.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `token` claims to be a plugin token (its `typ`); says nothing about its validity. */
export function isDiscourseToken(token: string): boolean {
  return headerOf(token)?.typ === DISCOURSE_TOKEN_TYPE;
}

const refused = (reason: string) =>
  new CdsError('ERR_UNAUTHORIZED', `Discourse token refused: ${reason}`);

export interface VerifyDiscourseTokenOptions {
  /** Unix time in milliseconds. @defaultValue Date.now() */
  now?: number;
  /** Tolerated clock difference for `exp` and `iat`. @defaultValue 30_000 */
  clockSkewMs?: number;
}

/**
 * Verifies a plugin token: HS256 only (never `none` or another algorithm), the signature in
 * constant time, `aud`, not expired, not issued in the future, minted for at most
 * MAX_DISCOURSE_TOKEN_SECONDS, and well-formed claims. Throws ERR_UNAUTHORIZED saying which failed.
 */
export function verifyDiscourseToken(
  token: string,
  secret: string,
  options: VerifyDiscourseTokenOptions = {},
): DiscourseScope {
  const header = headerOf(token);
  if (!header) throw refused('not a compact JWS');
  if (header.typ !== DISCOURSE_TOKEN_TYPE) throw refused(`"typ" must be "${DISCOURSE_TOKEN_TYPE}"`);
  if (header.alg !== 'HS256')
    throw refused(`"alg" must be HS256, not ${JSON.stringify(header.alg)}`);
  const [head, body, signature] = token.split('.') as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = /^[A-Za-z0-9_-]+$/.test(signature)
    ? Buffer.from(signature, 'base64url')
    : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw refused('bad signature (is DISCOURSE_TOKEN_SECRET the same as cds_sync_token_secret?)');

  let payload: unknown;
  try {
    payload = decodeSegment(body);
  } catch {
    throw refused('its payload is not JSON');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    const issue = claims.error.issues[0]!;
    throw refused(
      issue.message.startsWith('"') ? issue.message : `"${issue.path.join('.')}" ${issue.message}`,
    );
  }
  const { iat, exp } = claims.data;
  const now = (options.now ?? Date.now()) / 1000;
  const skew = (options.clockSkewMs ?? 30_000) / 1000;
  if (exp <= now - skew) throw refused(`token expired at ${new Date(exp * 1000).toISOString()}`);
  if (iat > now + skew) throw refused('"iat" is in the future (check the forum\'s clock)');
  if (exp - iat > MAX_DISCOURSE_TOKEN_SECONDS)
    throw refused(
      `token lives ${exp - iat} s; the most accepted is ${MAX_DISCOURSE_TOKEN_SECONDS} s`,
    );
  const scope = discourseScopeSchema.safeParse({
    user: Number(claims.data.sub),
    username: claims.data.username,
    role: claims.data.role,
    groups: claims.data.groups,
    categories: claims.data.categories,
  });
  if (!scope.success) {
    const issue = scope.error.issues[0]!;
    throw refused(`"${issue.path.join('.')}" ${issue.message}`);
  }
  return scope.data;
}

// The Canvas writer's settings (DESIGN.md section 8), parsed and defaulted here only.
import { z } from 'zod';
import { InvalidConfig } from '@cds/shared';
import type { Env } from '@cds/relay';

export interface WriterSettings {
  /** CANVAS_URL: the institution's Canvas (AGS and NRPS live there), e.g. https://school.instructure.com. */
  canvasUrl: string;
  /** RELAY_JWKS_URL: the relay's delivery keys. @defaultValue `${RELAY_URL}/.well-known/jwks.json` */
  relayJwksUrl: string;
  /** CANVAS_PLATFORM_ISSUER / CANVAS_PLATFORM_CLIENT_ID: which registered platform writes; @defaultValue the only one */
  platform: { issuer?: string; clientId?: string };
  /** FORUM_PARTICIPATION_POSTS: posts that earn full forum participation marks. @defaultValue 10 */
  forumPostsForFullMarks: number;
  /** CANVAS_RETRY_AFTER: seconds the relay waits when Canvas throttles without saying. @defaultValue 30 */
  retryAfterMs: number;
}

const url = (name: string) =>
  z
    .url({ protocol: /^https?$/, error: `${name} must be an http(s) URL` })
    .transform((u) => u.replace(/\/+$/, ''));

const envSchema = z.object({
  CANVAS_URL: url('CANVAS_URL'),
  RELAY_URL: url('RELAY_URL').optional(),
  RELAY_JWKS_URL: url('RELAY_JWKS_URL').optional(),
  CANVAS_PLATFORM_ISSUER: z.string().min(1).optional(),
  CANVAS_PLATFORM_CLIENT_ID: z.string().min(1).optional(),
  FORUM_PARTICIPATION_POSTS: z.coerce.number().int().min(1).max(10_000).default(10),
  CANVAS_RETRY_AFTER: z.coerce.number().int().min(1).max(3600).default(30),
});

/** Reads the writer's settings; throws InvalidConfig naming every wrong variable. */
export function loadWriterSettings(env: Env = process.env): WriterSettings {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(clean);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new InvalidConfig(`Canvas writer settings: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  const relayJwksUrl = s.RELAY_JWKS_URL ?? (s.RELAY_URL && `${s.RELAY_URL}/.well-known/jwks.json`);
  if (!relayJwksUrl)
    throw new InvalidConfig(
      "Canvas writer settings: set RELAY_URL (the relay's address) or RELAY_JWKS_URL, to verify deliveries with the relay's keys",
    );
  return {
    canvasUrl: s.CANVAS_URL,
    relayJwksUrl,
    platform: { issuer: s.CANVAS_PLATFORM_ISSUER, clientId: s.CANVAS_PLATFORM_CLIENT_ID },
    forumPostsForFullMarks: s.FORUM_PARTICIPATION_POSTS,
    retryAfterMs: s.CANVAS_RETRY_AFTER * 1000,
  };
}

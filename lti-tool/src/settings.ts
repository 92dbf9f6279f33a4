// The LTI tool's settings (DESIGN.md section 8), every part's in one loader, parsed and defaulted
// here only (CONVENTIONS.md #7). Optional parts stay optional: without Canvas's address or token
// the tool still serves launches and the course page, and says what it leaves out.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidConfig } from '@cds/shared';
import { connectionUrlSchema, durationSchema, portSchema, type Env } from '@cds/relay';

/** @defaultValue of LTI_PORT */
export const DEFAULT_LTI_PORT = 8081;
/** @defaultValue of LTI_TOOL_KEY */
export const DEFAULT_TOOL_KEY = './data/keys/lti-tool.private.jwk.json';
/** @defaultValue of LTI_KEY_FILE: where LTI_KEY is read from when unset (`pnpm start` makes it) */
export const DEFAULT_LTI_KEY_FILE = './data/keys/lti.key';

export interface LtiSettings {
  /** LTI_PORT: where the tool listens. @defaultValue 8081 */
  port: number;
  /** LTI_PUBLIC_URL: the tool's address as Canvas and browsers reach it, without a trailing slash. @defaultValue http://localhost:LTI_PORT */
  publicUrl: string;
  /** DATABASE_URL: the relay's database; ltijs's and the tool's tables go with it. @defaultValue sqlite:./data/cds.sqlite */
  databaseUrl: string;
  /** LTI_KEY (else the content of LTI_KEY_FILE): signs ltijs's cookies and ltiks, encrypts the platform keys. */
  key: string;
  /** LTI_KEY_FILE: read when LTI_KEY is unset. @defaultValue ./data/keys/lti.key */
  keyFile: string;
  /** RELAY_URL: the relay's status API and ingest. @defaultValue http://127.0.0.1:PORT (8080) */
  relayUrl: string;
  /** LTI_TOOL_KEY: the tool's producer key (sources canvas and manual). @defaultValue ./data/keys/lti-tool.private.jwk.json */
  toolKeyPath: string;
  /** CANVAS_SHARD_ID: the shard of local Canvas ids (launches, CANVAS_POLL_COURSES). @defaultValue none: ids given are global */
  shardId: string | undefined;
  /** Canvas REST and LTI Advantage. */
  canvas: {
    /** CANVAS_URL, e.g. https://school.instructure.com. @defaultValue none: no poller, no writes */
    url: string | undefined;
    /** CANVAS_API_TOKEN: a token of a user who may read the courses. @defaultValue none: no poller */
    apiToken: string | undefined;
  };
  /** Live Events intake (POST /v1/intake/canvas). */
  liveEvents: {
    /** CANVAS_LIVE_EVENTS_JWKS_URL. @defaultValue none: signed Live Events are refused, naming it */
    jwksUrl: string | undefined;
    /** CANVAS_LIVE_EVENTS_UNSIGNED=allow accepts unsigned bodies (testing only). @defaultValue refuse */
    allowUnsigned: boolean;
  };
  /** The REST poller that back-fills what Live Events missed. */
  poll: {
    /** CANVAS_POLL_COURSES: course ids, comma-separated (global, or local with CANVAS_SHARD_ID). @defaultValue none */
    courses: string[];
    /** CANVAS_POLL_INTERVAL. @defaultValue 5m */
    intervalMs: number;
  };
  /** CANVAS_CERTIFICATE_COURSES: courses whose completion issues a certificate (global, or local with CANVAS_SHARD_ID). @defaultValue none */
  certificateCourses: string[];
  /** The Canvas writer (POST /v1/deliveries). */
  writer: {
    /** RELAY_JWKS_URL: the relay's delivery keys. @defaultValue RELAY_URL/.well-known/jwks.json */
    relayJwksUrl: string;
    /** CANVAS_PLATFORM_ISSUER / CANVAS_PLATFORM_CLIENT_ID: the registered platform that writes. @defaultValue the only one */
    platform: { issuer?: string; clientId?: string };
    /** FORUM_PARTICIPATION_POSTS: posts that earn full participation marks. @defaultValue 10 */
    forumPostsForFullMarks: number;
    /** CANVAS_RETRY_AFTER (seconds): the relay's wait when Canvas throttles without saying. @defaultValue 30 */
    retryAfterMs: number;
  };
}

const KEY_HELP =
  'set it to a long random secret (e.g. `openssl rand -hex 32`), or let `pnpm start` make LTI_KEY_FILE, and keep it: ltijs signs its cookies and tokens and encrypts the stored platform keys with it, so changing it makes them unreadable';

const httpUrl = (example: string) =>
  z
    .url({ protocol: /^https?$/, error: `must be an http(s) URL, e.g. ${example}` })
    .transform((u) => u.replace(/\/+$/, ''));

/** Canvas course ids, comma-separated. */
const courseIds = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .refine(
    (ids) => ids.every((id) => /^\d{1,20}$/.test(id)),
    'must be Canvas course ids separated by commas',
  )
  .default([]);

const envSchema = z.object({
  LTI_PORT: portSchema.default(DEFAULT_LTI_PORT),
  LTI_PUBLIC_URL: httpUrl('https://lti.example.edu').optional(),
  DATABASE_URL: connectionUrlSchema('DATABASE_URL'),
  LTI_KEY: z
    .string()
    .min(16, { error: `must be at least 16 characters: ${KEY_HELP}` })
    .optional(),
  LTI_KEY_FILE: z.string().min(1).default(DEFAULT_LTI_KEY_FILE),
  PORT: portSchema.default(8080),
  RELAY_URL: httpUrl('https://relay.example.edu').optional(),
  LTI_TOOL_KEY: z.string().min(1).default(DEFAULT_TOOL_KEY),
  CANVAS_SHARD_ID: z
    .string()
    .regex(/^\d{1,7}$/, 'must be a number')
    .optional(),
  CANVAS_URL: httpUrl('https://school.instructure.com').optional(),
  CANVAS_API_TOKEN: z.string().min(1).optional(),
  CANVAS_LIVE_EVENTS_JWKS_URL: httpUrl(
    'https://8axpcl50e4.execute-api.us-east-1.amazonaws.com/main/jwks',
  ).optional(),
  CANVAS_LIVE_EVENTS_UNSIGNED: z
    .enum(['allow', 'refuse'], { error: 'must be "allow" (testing only) or "refuse"' })
    .default('refuse'),
  CANVAS_POLL_COURSES: courseIds,
  CANVAS_POLL_INTERVAL: durationSchema.default(300_000),
  CANVAS_CERTIFICATE_COURSES: courseIds,
  RELAY_JWKS_URL: httpUrl('https://relay.example.edu/.well-known/jwks.json').optional(),
  CANVAS_PLATFORM_ISSUER: z.string().min(1).optional(),
  CANVAS_PLATFORM_CLIENT_ID: z.string().min(1).optional(),
  FORUM_PARTICIPATION_POSTS: z.coerce.number().int().min(1).max(10_000).default(10),
  CANVAS_RETRY_AFTER: z.coerce.number().int().min(1).max(3600).default(30),
});

/** LTI_KEY_FILE's content, or undefined when there is no such file. */
function readKeyFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidConfig(`LTI_KEY_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Reads the tool's settings from `env` (empty strings count as unset); LTI_KEY, when unset, from
 * LTI_KEY_FILE. Throws InvalidConfig naming every wrong variable and its fix.
 */
export function loadLtiSettings(env: Env = process.env): LtiSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new InvalidConfig(`LTI tool settings: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  const key = s.LTI_KEY ?? readKeyFile(s.LTI_KEY_FILE);
  if (key === undefined)
    throw new InvalidConfig(
      `LTI tool settings: LTI_KEY is not set (nor is there a ${s.LTI_KEY_FILE}, LTI_KEY_FILE): ${KEY_HELP}`,
    );
  if (key.length < 16)
    throw new InvalidConfig(
      `LTI tool settings: LTI_KEY in ${s.LTI_KEY_FILE} must be at least 16 characters: ${KEY_HELP}`,
    );
  if (s.CANVAS_POLL_COURSES.length > 0 && (!s.CANVAS_URL || !s.CANVAS_API_TOKEN))
    throw new InvalidConfig(
      'LTI tool settings: CANVAS_POLL_COURSES needs CANVAS_URL and CANVAS_API_TOKEN to poll Canvas: set both, or unset CANVAS_POLL_COURSES',
    );
  const relayUrl = s.RELAY_URL ?? `http://127.0.0.1:${s.PORT}`;
  return {
    port: s.LTI_PORT,
    publicUrl: s.LTI_PUBLIC_URL ?? `http://localhost:${s.LTI_PORT}`,
    databaseUrl: s.DATABASE_URL,
    key,
    keyFile: s.LTI_KEY_FILE,
    relayUrl,
    toolKeyPath: s.LTI_TOOL_KEY,
    shardId: s.CANVAS_SHARD_ID,
    canvas: { url: s.CANVAS_URL, apiToken: s.CANVAS_API_TOKEN },
    liveEvents: {
      jwksUrl: s.CANVAS_LIVE_EVENTS_JWKS_URL,
      allowUnsigned: s.CANVAS_LIVE_EVENTS_UNSIGNED === 'allow',
    },
    poll: { courses: s.CANVAS_POLL_COURSES, intervalMs: s.CANVAS_POLL_INTERVAL },
    certificateCourses: s.CANVAS_CERTIFICATE_COURSES,
    writer: {
      relayJwksUrl: s.RELAY_JWKS_URL ?? `${relayUrl}/.well-known/jwks.json`,
      platform: { issuer: s.CANVAS_PLATFORM_ISSUER, clientId: s.CANVAS_PLATFORM_CLIENT_ID },
      forumPostsForFullMarks: s.FORUM_PARTICIPATION_POSTS,
      retryAfterMs: s.CANVAS_RETRY_AFTER * 1000,
    },
  };
}

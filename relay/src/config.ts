import { z } from 'zod';
import { EXTERNAL_ID_FIELDS, type ExternalIdField } from './links/discovery.js';
import { InvalidConfig, resolvePolicies, type PolicyTable } from '@cds/shared';
import { connectionUrlSchema } from './settings/connections.js';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `"90s"`, `"5m"`, `"1h"` in milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match)
    throw new Error(`"${text}" is not a duration: use a number and a unit, e.g. 30s, 5m, 1h, 1d`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A duration setting (`parseDuration`) in milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** A TCP port setting. */
export const portSchema = z.coerce.number().int().min(1).max(65535);
const urlList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })));

/** Comma-separated web origins (`https://forum.example.edu`), each scheme://host[:port] only. */
const originList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(
          /^https?:\/\/[^/\s]+$/,
          'must be an origin like https://forum.example.edu (scheme and host, no path)',
        ),
    ),
  );

/** Every relay setting, from the environment (DESIGN.md section 8). Defaults are applied here only. */
const envSchema = z.object({
  PORT: portSchema.default(8080),
  REDIS_URL: connectionUrlSchema('REDIS_URL'),
  DATABASE_URL: connectionUrlSchema('DATABASE_URL'),
  RELAY_ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (use a random string)')
    .optional(),
  STATUS_CORS_ORIGINS: originList.default([]),
  DISCOURSE_TOKEN_SECRET: z
    .string()
    .min(32, "must be at least 32 characters: the Discourse plugin's cds_sync_token_secret")
    .optional(),
  TRUSTED_JWKS: z.string().default('./data/keys/trusted.jwks.json'),
  RELAY_KEY: z.string().default('./data/keys/relay.private.jwk.json'),
  OUTBOUND_WEBHOOK_URL: urlList.default([]),
  CANVAS_DELIVERY_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL: the LTI tool's /v1/deliveries" })
    .optional(),
  BACKGROUND_BATCH_INTERVAL: durationSchema.default(3_600_000),
  // Discourse refuses webhook secrets shorter than 12 characters (WebHook validation).
  DISCOURSE_WEBHOOK_SECRET: z
    .string()
    .min(12, 'must be the Discourse webhook secret (at least 12 characters)')
    .optional(),
  DISCOURSE_URL: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) base URL of the Discourse site' })
    .optional(),
  // An admin API key (Admin > API > Keys) acting as DISCOURSE_API_USERNAME: the connector's writes.
  DISCOURSE_API_KEY: z.string().min(1).optional(),
  DISCOURSE_API_USERNAME: z.string().min(1).default('system'),
  // How often the worker reads Discourse's latest posts back to catch webhooks it dropped.
  DISCOURSE_POLL_INTERVAL: durationSchema.default(300_000),
  // Which Canvas identifier a Discourse account's external_id holds (DiscourseConnect / SSO).
  DISCOURSE_EXTERNAL_ID: z
    .enum(EXTERNAL_ID_FIELDS, {
      error: `must be one of ${EXTERNAL_ID_FIELDS.join(', ')}: the Canvas identifier your identity provider gives Discourse as external_id (none: do not match external ids)`,
    })
    .default('canvas_user_id'),
  // Link a Canvas user to the one active Discourse account with their e-mail (opt-in).
  LINK_BY_EMAIL: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  // Existing Discourse categories an instructor may pick for a course (ids, comma-separated).
  LINK_ALLOWED_CATEGORIES: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^\d{1,12}$/, 'must be Discourse category ids, comma-separated')),
    )
    .transform((ids) => ids.map(Number)),
  // How often deliveries waiting for a link look for it again (a new external id or e-mail).
  LINK_RECHECK_INTERVAL: durationSchema.default(900_000),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  MAX_EVENT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  MAX_BATCH_EVENTS: z.coerce.number().int().min(1).max(10_000).default(1000),
  TOKEN_MAX_AGE: durationSchema.default(300_000),
  CLOCK_SKEW: durationSchema.default(30_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  TARGET_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(20),
  STALLED_INTERVAL: durationSchema.default(30_000),
  DELIVERY_RETRY_WINDOW: durationSchema.default(24 * 3_600_000),
  DELIVERY_MAX_BACKOFF: durationSchema.default(10 * 60_000),
  // A hash tag keeps every key of a queue in one Redis Cluster slot (DESIGN.md section 7).
  QUEUE_PREFIX: z.string().min(1).default('{cds}'),
  POLICY_OVERRIDES: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"grade":{"tier":"high"}}' });
        return z.NEVER;
      }
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface RelayConfig {
  /** High-tier deliveries per second per target. */
  targetRateLimit: number;
  port: number;
  redisUrl: string;
  databaseUrl: string;
  /** Bearer token for the status API and admin actions; undefined means none configured. */
  adminToken: string | undefined;
  /**
   * The HS256 secret of the Discourse plugin's status tokens (its cds_sync_token_secret); undefined
   * means the status API refuses them with 503 naming the setting.
   */
  discourseTokenSecret: string | undefined;
  /** Web origins whose pages may call the status API from the browser (the Discourse forum). */
  statusCorsOrigins: string[];
  trustedJwks: string;
  /** The relay's own signing key file (created on first start). */
  relayKey: string;
  outboundWebhookUrls: string[];
  /**
   * The Canvas side's target (the LTI tool's `POST /v1/deliveries`): Canvas-bound events go there
   * as relay-signed deliveries. Undefined: no Canvas writes (under `pnpm start`, the tool's own).
   */
  canvasDeliveryUrl: string | undefined;
  backgroundBatchIntervalMs: number;
  /** The secret of the Discourse webhook; without it `POST /v1/intake/discourse` answers 503. */
  discourseWebhookSecret: string | undefined;
  /** The Discourse site's base URL. */
  discourseUrl: string | undefined;
  /** With discourseUrl, the Discourse connector (side discourse) writes through the REST API. */
  discourseApiKey: string | undefined;
  discourseApiUsername: string;
  /** DISCOURSE_POLL_INTERVAL: the reconciliation poller's period (with discourseUrl and an API key). */
  discoursePollIntervalMs: number;
  /** Which Canvas identifier a Discourse user's external_id holds, to link users automatically. */
  discourseExternalId: ExternalIdField;
  /** Link on a verified e-mail that exactly one Discourse account has. */
  linkByEmail: boolean;
  /** Existing Discourse categories an instructor may pick for a course. */
  linkAllowedCategories: number[];
  /** How often waiting deliveries look for their link again. */
  linkRecheckIntervalMs: number;
  maxBodyBytes: number;
  maxBatchEvents: number;
  /** Largest single event (its JSON) accepted; a larger one is rejected alone. */
  maxEventBytes: number;
  tokenMaxAgeMs: number;
  clockSkewMs: number;
  workerConcurrency: number;
  /** How soon the jobs of a crashed worker are taken up by another. */
  stalledIntervalMs: number;
  /** How long a failing delivery is retried, from its first attempt, before it is a dead letter. */
  deliveryRetryWindowMs: number;
  /** The longest wait between two attempts of a delivery. */
  deliveryMaxBackoffMs: number;
  queuePrefix: string;
  policies: PolicyTable;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

/**
 * Reads the relay's settings; throws InvalidConfig naming every wrong variable and its fix
 * (CONVENTIONS.md #7). Empty strings count as unset.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new InvalidConfig(`invalid settings:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    adminToken: e.RELAY_ADMIN_TOKEN,
    discourseTokenSecret: e.DISCOURSE_TOKEN_SECRET,
    statusCorsOrigins: e.STATUS_CORS_ORIGINS,
    trustedJwks: e.TRUSTED_JWKS,
    relayKey: e.RELAY_KEY,
    outboundWebhookUrls: e.OUTBOUND_WEBHOOK_URL,
    canvasDeliveryUrl: e.CANVAS_DELIVERY_URL,
    backgroundBatchIntervalMs: e.BACKGROUND_BATCH_INTERVAL,
    discourseWebhookSecret: e.DISCOURSE_WEBHOOK_SECRET,
    discourseUrl: e.DISCOURSE_URL,
    discourseApiKey: e.DISCOURSE_API_KEY,
    discourseApiUsername: e.DISCOURSE_API_USERNAME,
    discoursePollIntervalMs: e.DISCOURSE_POLL_INTERVAL,
    discourseExternalId: e.DISCOURSE_EXTERNAL_ID,
    linkByEmail: e.LINK_BY_EMAIL,
    linkAllowedCategories: e.LINK_ALLOWED_CATEGORIES,
    linkRecheckIntervalMs: e.LINK_RECHECK_INTERVAL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxBatchEvents: e.MAX_BATCH_EVENTS,
    maxEventBytes: e.MAX_EVENT_BYTES,
    tokenMaxAgeMs: e.TOKEN_MAX_AGE,
    clockSkewMs: e.CLOCK_SKEW,
    workerConcurrency: e.WORKER_CONCURRENCY,
    targetRateLimit: e.TARGET_RATE_LIMIT,
    stalledIntervalMs: e.STALLED_INTERVAL,
    deliveryRetryWindowMs: e.DELIVERY_RETRY_WINDOW,
    deliveryMaxBackoffMs: e.DELIVERY_MAX_BACKOFF,
    queuePrefix: e.QUEUE_PREFIX,
    policies: resolvePolicies(e.POLICY_OVERRIDES),
    logLevel: e.LOG_LEVEL,
  };
}

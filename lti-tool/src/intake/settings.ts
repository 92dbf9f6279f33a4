// The settings of Canvas change capture (intake, poller, sender), parsed and defaulted here
// (CONVENTIONS.md #7). To be folded into lti-tool/src/settings.ts by its owner.
import { parseDuration, type Env } from '@cds/relay';
import { InvalidConfig } from '@cds/shared';
import { z } from 'zod';

export interface CanvasCaptureSettings {
  /** CANVAS_LIVE_EVENTS_JWKS_URL: Canvas's Live Events JWKS (signed bodies are verified against it). */
  liveEventsJwksUrl: string | undefined;
  /** CANVAS_LIVE_EVENTS_UNSIGNED=allow accepts unsigned Live Events: for testing only. @defaultValue refuse */
  allowUnsigned: boolean;
  /** CANVAS_URL: Canvas's base URL for the REST poller and lookups. */
  canvasUrl: string | undefined;
  /** CANVAS_API_TOKEN: the access token the poller and lookups use. */
  apiToken: string | undefined;
  /** CANVAS_POLL_COURSES: comma-separated course ids (global, as Live Events name them). @defaultValue none */
  pollCourses: string[];
  /** CANVAS_POLL_INTERVAL. @defaultValue 5m */
  pollIntervalMs: number;
  /** CANVAS_SHARD_ID: the shard of local course ids in CANVAS_POLL_COURSES. */
  shardId: string | undefined;
  /** RELAY_URL: where captured events are sent. @defaultValue http://127.0.0.1:8080 */
  relayUrl: string;
  /** LTI_TOOL_KEY: the tool's producer key (`cds keys generate --producer lti-tool --sources canvas,manual`). */
  toolKeyPath: string;
}

const optionalUrl = (name: string) =>
  z
    .url({ protocol: /^https?$/, error: `${name} must be an http(s) URL` })
    .optional()
    .or(z.literal('').transform(() => undefined));

const schema = z.object({
  CANVAS_LIVE_EVENTS_JWKS_URL: optionalUrl('CANVAS_LIVE_EVENTS_JWKS_URL'),
  CANVAS_LIVE_EVENTS_UNSIGNED: z
    .enum(['allow', 'refuse'], { error: 'must be "allow" (testing only) or "refuse"' })
    .default('refuse'),
  CANVAS_URL: optionalUrl('CANVAS_URL'),
  CANVAS_API_TOKEN: z.string().optional(),
  CANVAS_POLL_COURSES: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine(
      (ids) => ids.every((id) => /^\d{1,20}$/.test(id)),
      'must be Canvas course ids separated by commas',
    ),
  CANVAS_POLL_INTERVAL: z
    .string()
    .default('5m')
    .transform((text, ctx) => {
      try {
        return parseDuration(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  CANVAS_SHARD_ID: z
    .string()
    .regex(/^\d{1,7}$/, 'must be a number')
    .optional(),
  RELAY_URL: z.url().default('http://127.0.0.1:8080'),
  LTI_TOOL_KEY: z.string().default('./data/keys/lti-tool.private.jwk.json'),
});

/** Reads the capture settings; throws InvalidConfig naming each wrong variable and its fix. */
export function loadCanvasCaptureSettings(env: Env = process.env): CanvasCaptureSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new InvalidConfig(
      `Canvas capture settings: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  const s = parsed.data;
  if (s.CANVAS_POLL_COURSES.length > 0 && (!s.CANVAS_URL || !s.CANVAS_API_TOKEN))
    throw new InvalidConfig(
      'CANVAS_POLL_COURSES needs CANVAS_URL and CANVAS_API_TOKEN to poll Canvas',
    );
  return {
    liveEventsJwksUrl: s.CANVAS_LIVE_EVENTS_JWKS_URL,
    allowUnsigned: s.CANVAS_LIVE_EVENTS_UNSIGNED === 'allow',
    canvasUrl: s.CANVAS_URL,
    apiToken: s.CANVAS_API_TOKEN || undefined,
    pollCourses: s.CANVAS_POLL_COURSES,
    pollIntervalMs: s.CANVAS_POLL_INTERVAL,
    shardId: s.CANVAS_SHARD_ID,
    relayUrl: s.RELAY_URL,
    toolKeyPath: s.LTI_TOOL_KEY,
  };
}

// The LTI tool's settings (DESIGN.md section 8), parsed and defaulted here only (CONVENTIONS.md #7).
import { z } from 'zod';
import { InvalidConfig } from '@cds/shared';
import { connectionUrlSchema, type Env } from '@cds/relay';

/** @defaultValue of LTI_PORT */
export const DEFAULT_LTI_PORT = 8081;

export interface LtiSettings {
  /** LTI_PORT: where the tool listens when it runs on its own. @defaultValue 8081 */
  port: number;
  /** LTI_PUBLIC_URL: the tool's address as Canvas and browsers reach it, without a trailing slash. @defaultValue http://localhost:LTI_PORT */
  publicUrl: string;
  /** DATABASE_URL: the relay's database; ltijs's tables go with it (see db/database.ts). */
  databaseUrl: string;
  /** LTI_KEY: ltijs signs its cookies and ltik tokens and encrypts the tool's private keys with it. */
  key: string;
  /** RELAY_URL: where the course page reads the status API and sends "Sync now". @defaultValue http://127.0.0.1:PORT (8080) */
  relayUrl: string;
  /** LTI_TOOL_KEY: the tool's private JWK (`cds keys generate --producer lti-tool --sources canvas,manual`). */
  toolKeyPath: string;
}

/** @defaultValue of LTI_TOOL_KEY */
export const DEFAULT_TOOL_KEY = './data/keys/lti-tool.private.jwk.json';

const KEY_HELP =
  'set it to a long random secret (e.g. `openssl rand -hex 32`) and keep it: ltijs signs its cookies and tokens and encrypts the stored platform keys with it, so changing it makes them unreadable';

const envSchema = z.object({
  LTI_PORT: z.coerce.number().int().min(1).max(65535).default(DEFAULT_LTI_PORT),
  LTI_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://lti.example.edu' })
    .optional(),
  DATABASE_URL: connectionUrlSchema('DATABASE_URL'),
  LTI_KEY: z.string({ error: `is not set: ${KEY_HELP}` }).min(16, {
    error: `must be at least 16 characters: ${KEY_HELP}`,
  }),
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  RELAY_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://relay.example.edu' })
    .optional(),
  LTI_TOOL_KEY: z.string().min(1).default(DEFAULT_TOOL_KEY),
});

/** Reads the settings from `env`; throws InvalidConfig naming every wrong variable and its fix. */
export function loadLtiSettings(env: Env = process.env): LtiSettings {
  const parsed = envSchema.safeParse({
    ...env,
    LTI_KEY: env.LTI_KEY || undefined,
    PORT: env.PORT || undefined,
    RELAY_URL: env.RELAY_URL || undefined,
    LTI_TOOL_KEY: env.LTI_TOOL_KEY || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new InvalidConfig(`LTI tool settings: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  return {
    port: s.LTI_PORT,
    publicUrl: (s.LTI_PUBLIC_URL ?? `http://localhost:${s.LTI_PORT}`).replace(/\/+$/, ''),
    databaseUrl: s.DATABASE_URL,
    key: s.LTI_KEY,
    relayUrl: (s.RELAY_URL ?? `http://127.0.0.1:${s.PORT}`).replace(/\/+$/, ''),
    toolKeyPath: s.LTI_TOOL_KEY,
  };
}

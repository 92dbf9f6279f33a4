// What `pnpm start` makes on a first run so a newcomer needs no setup: each item only when it is
// missing (idempotent), each said in one log line.
import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeProducerKey, type Env } from '@cds/relay';
import type { TrustedJwk } from '@cds/shared';
import { DEFAULT_LTI_KEY_FILE } from '../settings.js';
import type { ToolLog } from './compose.js';

/** The tool's producer name and what it speaks for (`cds keys generate --producer lti-tool --sources canvas,manual`). */
export const TOOL_PRODUCER = 'lti-tool';
export const TOOL_SOURCES = ['canvas', 'manual'] as const;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * LTI_KEY for ltijs: when it is not set, a random secret in LTI_KEY_FILE (mode 600), made once
 * and read by the settings from then on. Returns the file when it was made.
 */
export async function ensureLtiKey(env: Env, log: ToolLog): Promise<string | undefined> {
  if (env.LTI_KEY) return undefined;
  const path = env.LTI_KEY_FILE || DEFAULT_LTI_KEY_FILE;
  if (await exists(path)) return undefined;
  await mkdir(dirname(path), { recursive: true });
  try {
    // 'wx': two first starts at once keep the first key.
    await writeFile(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  log.info(
    `created LTI_KEY in ${path} (mode 600; keep it: ltijs encrypts the platform keys with it)`,
  );
  return path;
}

/**
 * The tool's producer key: when LTI_TOOL_KEY's file is missing, a new key (sources canvas and
 * manual) written there, its public half added to TRUSTED_JWKS, as `cds keys generate` does.
 * Returns the public key when it was made, for the audit log.
 */
export async function ensureToolKey(
  toolKeyPath: string,
  trustedJwks: string,
  log: ToolLog,
): Promise<TrustedJwk | undefined> {
  if (await exists(toolKeyPath)) return undefined;
  const pair = await writeProducerKey({
    producer: TOOL_PRODUCER,
    sources: [...TOOL_SOURCES],
    privateKeyPath: toolKeyPath,
    trustedJwks,
  });
  log.info(
    `created the LTI tool's producer key ${pair.privateJwk.kid} in ${toolKeyPath} (LTI_TOOL_KEY), trusted in ${trustedJwks}`,
  );
  return pair.publicJwk;
}

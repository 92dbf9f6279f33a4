import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  generateProducerKey,
  importSigner,
  InvalidConfig,
  KeyRing,
  type Signer,
  type TrustedJwk,
} from '@cds/shared';
import type { Logger } from './log.js';

/** Reads the trusted JWKS from a path or an http(s) URL. A missing file is an empty set. */
export async function readJwks(location: string): Promise<unknown> {
  if (/^https?:\/\//.test(location)) {
    const response = await fetch(location, { signal: AbortSignal.timeout(5000) });
    if (!response.ok)
      throw new InvalidConfig(`TRUSTED_JWKS ${location} answered HTTP ${response.status}`);
    return response.json();
  }
  try {
    return JSON.parse(await readFile(location, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] };
    throw new InvalidConfig(
      `TRUSTED_JWKS ${location} could not be read: ${(error as Error).message}`,
    );
  }
}

/**
 * The producer keys the relay trusts, re-read every `reloadMs` so `cds keys generate` and key
 * rotations take effect without a restart. A bad reload keeps the last good set (and says so).
 */
export class TrustedKeys {
  private ring: KeyRing = new KeyRing({ keys: [] });
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly location: string,
    private readonly logger: Logger,
  ) {}

  get current(): KeyRing {
    return this.ring;
  }

  async load(): Promise<void> {
    this.ring = KeyRing.fromJson(await readJwks(this.location));
    if (this.ring.size === 0) {
      this.logger.warn(
        `no trusted producer keys in ${this.location}: run "pnpm cds keys generate --producer NAME"`,
      );
    }
  }

  watch(reloadMs = 10_000): void {
    this.timer = setInterval(() => {
      readJwks(this.location)
        .then((document) => {
          this.ring = KeyRing.fromJson(document);
        })
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'trusted JWKS reload failed; keeping the previous keys'),
        );
    }, reloadMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * The relay's own signing key (for outbound deliveries), created on first start. Receivers verify
 * deliveries with the public half, served at /.well-known/jwks.json.
 */
export async function loadRelaySigner(
  path: string,
): Promise<{ signer: Signer; publicJwk: TrustedJwk }> {
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as {
      privateJwk: Parameters<typeof importSigner>[0];
      publicJwk: TrustedJwk;
    };
    return {
      signer: await importSigner(stored.privateJwk, 'cds-relay'),
      publicJwk: stored.publicJwk,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InvalidConfig(`relay key ${path} could not be read: ${(error as Error).message}`);
    }
  }
  const pair = await generateProducerKey('cds-relay');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(pair, null, 2), { mode: 0o600 });
  return { signer: await importSigner(pair.privateJwk, 'cds-relay'), publicJwk: pair.publicJwk };
}

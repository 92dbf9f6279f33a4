import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  generateProducerKey,
  importSigner,
  InvalidConfig,
  KeyRing,
  type KeyResolver,
  type Signer,
  type TrustedJwk,
} from '@cds/shared';
import type { CryptoKey } from 'jose';
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

export interface TrustedKeysOptions {
  /** Periodic re-read, so retirements and removals take effect. @defaultValue 10_000 */
  reloadMs?: number;
  /**
   * Least time between two reads: an unknown kid met sooner waits for the next allowed read
   * rather than failing (so a key added just after a read still works). @defaultValue 1_000
   */
  refreshCooldownMs?: number;
  /** Told once per process about each key whose grace period has ended (for the audit log). */
  onRetired?: (jwk: TrustedJwk) => void;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * The producer keys the relay trusts (TRUSTED_JWKS). A key is usable the moment `cds keys
 * generate` or `rotate` has written it: an unknown `kid` makes the relay re-read the JWKS (at most
 * once per `refreshCooldownMs`, as jose's remote JWKS does, so unknown kids cannot make it read in
 * a loop; requests meanwhile share the pending read), besides the periodic re-read. A bad read
 * keeps the last good set (and says so).
 */
export class TrustedKeys implements KeyResolver {
  private ring: KeyRing = new KeyRing({ keys: [] });
  private timer?: NodeJS.Timeout;
  private lastRead = 0;
  private reading?: Promise<void>;
  private refreshing?: Promise<void>;
  private readonly retiredSeen = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly location: string,
    private readonly logger: Logger,
    private readonly options: TrustedKeysOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async load(): Promise<void> {
    await this.read();
    if (this.ring.size === 0) {
      this.logger.warn(
        `no trusted producer keys in ${this.location}: run "pnpm cds keys generate --producer NAME"`,
      );
    }
  }

  /** One read at a time; callers arriving meanwhile share it. */
  private read(): Promise<void> {
    this.reading ??= (async () => {
      try {
        this.lastRead = this.now();
        this.ring = KeyRing.fromJson(await readJwks(this.location), { now: this.now });
        this.noticeRetirements();
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private noticeRetirements(): void {
    for (const jwk of this.ring.list()) {
      if (jwk.retire_at === undefined || jwk.retire_at * 1000 > this.now()) continue;
      if (this.retiredSeen.has(jwk.kid)) continue;
      this.retiredSeen.add(jwk.kid);
      this.options.onRetired?.(jwk);
    }
  }

  async resolveJwk(kid: string | undefined): Promise<TrustedJwk> {
    try {
      return this.ring.lookup(kid);
    } catch (error) {
      if (!kid) throw error;
      await this.refresh();
      return this.ring.lookup(kid);
    }
  }

  cryptoKey(jwk: TrustedJwk): Promise<CryptoKey> {
    return this.ring.cryptoKey(jwk);
  }

  /** A re-read no sooner than the cooldown allows; callers meanwhile share it. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const wait = this.lastRead + (this.options.refreshCooldownMs ?? 1_000) - this.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await this.read().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'trusted JWKS re-read failed; keeping the previous keys'),
      );
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  watch(): void {
    this.timer = setInterval(() => {
      this.read().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'trusted JWKS reload failed; keeping the previous keys'),
      );
    }, this.options.reloadMs ?? 10_000);
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
  const pair = await generateProducerKey('cds-relay', ['manual']);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(pair, null, 2), { mode: 0o600 });
  return { signer: await importSigner(pair.privateJwk, 'cds-relay'), publicJwk: pair.publicJwk };
}

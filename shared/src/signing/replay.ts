import { Expired, InvalidConfig, Replayed } from '../errors.js';

/** Remembers token ids for a while. The relay backs it with Redis; tests and tools use memory. */
export interface SeenStore {
  /** Records `jti` for `ttlMs`; resolves false when it was already recorded (a replay). */
  remember(jti: string, ttlMs: number): Promise<boolean>;
}

/** A SeenStore in process memory: for one process only (tests, CLI, single-node tools). */
export class MemorySeenStore implements SeenStore {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async remember(jti: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const expiry = this.expiries.get(jti);
    if (expiry !== undefined && expiry > now) return false;
    this.expiries.set(jti, now + ttlMs);
    if (this.expiries.size % 1024 === 0) this.prune(now);
    return true;
  }

  private prune(now: number): void {
    for (const [jti, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(jti);
  }
}

export interface ReplayGuardOptions {
  /** Where seen token ids are kept; without one, only `checkAge` is usable. */
  store?: SeenStore;
  /** Oldest accepted token age. @defaultValue 300_000 (5 minutes) */
  maxAgeMs?: number;
  /** How far in the future `iat` may be (producer clock skew). @defaultValue 30_000 */
  maxSkewMs?: number;
  /** Current time in ms. @defaultValue Date.now */
  now?: () => number;
}

/**
 * Rejects tokens outside the `iat` window (Expired) and tokens whose `jti` was seen (Replayed).
 * A jti is remembered for the whole window, so a replay is caught until the token expires anyway.
 */
export class ReplayGuard {
  private readonly store?: SeenStore;
  private readonly maxAgeMs: number;
  private readonly maxSkewMs: number;
  private readonly now: () => number;

  constructor(options: ReplayGuardOptions) {
    this.store = options.store;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.maxSkewMs = options.maxSkewMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** How long a token id must be remembered: as long as the token could still pass `checkAge`. */
  get rememberMs(): number {
    return this.maxAgeMs + this.maxSkewMs;
  }

  /**
   * Rejects a token outside the `iat` window (Expired). Callers that record the jti in their own
   * transaction (the relay, beside the events the token carries) use this and `rememberMs`.
   */
  checkAge(claims: { iat: number }): void {
    const now = this.now();
    const issuedMs = claims.iat * 1000;
    if (issuedMs < now - this.maxAgeMs) {
      throw new Expired(
        `token issued at ${new Date(issuedMs).toISOString()} is older than ${this.maxAgeMs / 1000} s: sign it again`,
      );
    }
    if (issuedMs > now + this.maxSkewMs) {
      throw new Expired(
        `token issued at ${new Date(issuedMs).toISOString()} is in the future (more than ${this.maxSkewMs / 1000} s): check the producer's clock`,
      );
    }
  }

  /** `checkAge`, then records the jti in the SeenStore (Replayed when it was seen). */
  async check(claims: { jti: string; iat: number }): Promise<void> {
    this.checkAge(claims);
    if (!this.store) throw new InvalidConfig('ReplayGuard.check needs a SeenStore');
    const fresh = await this.store.remember(claims.jti, this.rememberMs);
    if (!fresh) throw new Replayed(`token ${claims.jti} was already used: sign a new one`);
  }
}

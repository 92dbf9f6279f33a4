/** Where a breaker is: closed (calls go through), open (calls wait), half-open (one probe). */
export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. @defaultValue 5 */
  failureThreshold?: number;
  /** How long it stays open before a probe. @defaultValue 5_000 */
  openMs?: number;
  /** Current time in ms. @defaultValue Date.now */
  now?: () => number;
}

/**
 * A per-target circuit breaker (DESIGN.md section 5): after repeated failures the target's calls
 * wait instead of piling on; after `openMs` (or the target's Retry-After) one probe goes through;
 * its success closes the breaker, its failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly now: () => number;

  constructor(options: BreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.openUntil === 0) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  /**
   * Whether a call may go now: `waitMs` 0 when it may, else how long to wait. When half-open, one
   * call goes as the `probe`: its failure says the target is still down, nothing about the call's
   * own delivery, so the caller does not count it against that delivery's retries.
   */
  admit(): { waitMs: number; probe: boolean } {
    const state = this.state;
    if (state === 'closed') return { waitMs: 0, probe: false };
    if (state === 'open') return { waitMs: this.openUntil - this.now(), probe: false };
    if (this.probing) return { waitMs: Math.min(this.openMs, 1_000), probe: false };
    this.probing = true;
    return { waitMs: 0, probe: true };
  }

  /** 0 when a call may go now; otherwise how many ms to wait. Lets one probe through when half-open. */
  waitMs(): number {
    return this.admit().waitMs;
  }

  /** The probe went nowhere (our own trouble, not the target's): let the next call probe. */
  releaseProbe(): void {
    this.probing = false;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.probing = false;
  }

  /** Counts a failure; `retryAfterMs` (a 429's or 503's Retry-After) opens it at once for that long. */
  recordFailure(retryAfterMs?: number): void {
    this.failures += 1;
    this.probing = false;
    if (retryAfterMs !== undefined) {
      this.openUntil = this.now() + retryAfterMs;
    } else if (this.failures >= this.failureThreshold || this.openUntil !== 0) {
      this.openUntil = this.now() + this.openMs;
    }
  }
}

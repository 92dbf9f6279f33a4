/**
 * How deliveries are retried: by time, not by a small count (as webhook senders such as Stripe
 * do). A flaky target keeps getting its deliveries for the whole window; only a permanent refusal
 * or the end of the window makes a dead letter.
 */
export interface RetryPolicy {
  /** How long a delivery is retried, from its first attempt (DELIVERY_RETRY_WINDOW). @defaultValue 86_400_000 (24 h) */
  windowMs: number;
  /** The first wait; it doubles with each attempt, with jitter. @defaultValue 1_000 */
  backoffMs: number;
  /** The longest wait between two attempts (DELIVERY_MAX_BACKOFF). @defaultValue 600_000 (10 min) */
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  windowMs: 24 * 3_600_000,
  backoffMs: 1_000,
  maxBackoffMs: 10 * 60_000,
};

/**
 * The wait before attempt `attempts + 1`: capped exponential, with "equal jitter" (half of it
 * fixed, half random) so the retries of many deliveries spread out but none comes back at once.
 */
export function backoffDelay(
  attempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, attempts - 1), 40);
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface FailureFacts {
  /** A 4xx other than 408/429 is permanent: retrying cannot help. */
  retryable: boolean;
  /** The target's Retry-After, if it gave one. */
  retryAfterMs?: number;
  /** Counted attempts so far, this one included (a failed half-open probe is not counted). */
  attempts: number;
  /** Start of the retry window: null while no counted attempt was made (only probes failed). */
  firstAttemptAt: number | null;
  now: number;
}

export type RetryVerdict = { kind: 'dead' } | { kind: 'retry'; delayMs: number };

/**
 * What a failed attempt leads to: a dead letter at once for a permanent refusal, or once the
 * window has run out; otherwise another attempt after the backoff (at least the target's
 * Retry-After), and never long after the window's end, so the last attempt falls on it.
 */
export function afterFailure(
  facts: FailureFacts,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryVerdict {
  if (!facts.retryable) return { kind: 'dead' };
  const windowEnd =
    facts.firstAttemptAt === null ? Infinity : facts.firstAttemptAt + policy.windowMs;
  if (facts.now >= windowEnd) return { kind: 'dead' };
  const delay = Math.max(backoffDelay(facts.attempts, policy, random), facts.retryAfterMs ?? 0);
  return { kind: 'retry', delayMs: Math.min(delay, Math.max(0, windowEnd - facts.now)) };
}

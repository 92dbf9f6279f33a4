import { CdsError, type Side, type Source } from '@cds/shared';

/** One entity's value as it stands after the events a delivery applies. */
export interface DeliveryItem {
  eventId: string;
  /** The side the event came from: a receiver never needs its own changes echoed back. */
  source: Source;
  entity: string;
  key: string;
  op: 'upsert' | 'delete';
  /** The resolved value now stored for the key (null when deleted). */
  value: Record<string, unknown> | null;
}

/** What a connector sends: one event, or every event of a background batch. */
export interface Delivery {
  /** Stable across retries: the target uses it to apply a delivery once (Idempotency-Key). */
  id: string;
  tier: string;
  eventIds: string[];
  items: DeliveryItem[];
}

/** A system the relay writes to: Canvas, Discourse, or an outbound webhook. */
export interface Connector {
  /** Stable name used in queue names, deliveries and dead letters, e.g. `webhook-1`. */
  readonly name: string;
  /**
   * The side this connector writes to: it gets the applied events whose entity flows there and
   * that did not come from there. None for an observer (an outbound webhook): it gets every one.
   */
  readonly side?: Side;
  deliver(delivery: Delivery): Promise<void>;
}

/**
 * A target's failure, classified for retries (CONVENTIONS.md #6): `retryable` for network errors,
 * timeouts, 5xx and 429 (with the target's Retry-After); not retryable for other 4xx answers.
 */
export class TargetError extends CdsError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super('ERR_TARGET', message, options);
  }
}

export function isTargetError(error: unknown): error is TargetError {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === 'ERR_TARGET' &&
    'retryable' in error
  );
}

/** Reads a Retry-After header (seconds or an HTTP date) as milliseconds from now. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

import { CdsError } from '../errors.js';

/**
 * A target's failure, classified for retries (CONVENTIONS.md #6): `retryable` for network errors,
 * timeouts, 5xx, 408 and 429 (with the target's Retry-After); not retryable for other 4xx answers,
 * which retrying cannot change.
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

/** By `code`, not `instanceof` (CONVENTIONS.md #4). */
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

/** Whether an HTTP answer is worth retrying: 5xx, 408 and 429 are; other 4xx are final. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The TargetError of an HTTP answer that is not 2xx, e.g. `discourse: HTTP 503`. */
export function httpTargetError(
  target: string,
  status: number,
  retryAfter: string | null,
  now = Date.now(),
): TargetError {
  return new TargetError(
    `${target}: HTTP ${status}`,
    isRetryableStatus(status),
    parseRetryAfter(retryAfter, now),
  );
}

/**
 * The TargetError of a request that got no answer: a timeout (the fetch aborted by
 * `AbortSignal.timeout(timeoutMs)`) or a network failure, e.g. `discourse: fetch failed
 * (ECONNREFUSED)`. Retryable: the target may answer next time.
 */
export function unansweredTargetError(
  target: string,
  error: unknown,
  timeoutMs: number,
): TargetError {
  const why =
    error instanceof Error && error.name === 'TimeoutError'
      ? `timed out after ${timeoutMs} ms`
      : connectionProblem(error);
  return new TargetError(`${target}: ${why}`, true, undefined, { cause: error });
}

/** fetch says only "fetch failed": the cause has the reason (ECONNREFUSED, ENOTFOUND, ...). */
function connectionProblem(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return `${(error as Error).message} (${cause.code})`;
  return error instanceof Error ? error.message : String(error);
}

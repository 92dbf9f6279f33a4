import assert from 'node:assert/strict';
import { loadConfig } from '../config.js';
import { afterFailure, backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { windowMs: 60_000, backoffMs: 1_000, maxBackoffMs: 8_000 };
const low = () => 0;
const high = () => 1;

describe('retrying a delivery by time', () => {
  it('doubles the wait with each attempt, up to the cap, with jitter in its upper half', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, high)),
      [1_000, 2_000, 4_000, 8_000, 8_000, 8_000],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, low)),
      [500, 1_000, 2_000, 4_000, 4_000],
    );
    assert.equal(backoffDelay(10_000, DEFAULT_RETRY, high), DEFAULT_RETRY.maxBackoffMs);
  });

  it('retries a retryable failure for as long as the window runs', () => {
    const verdict = afterFailure(
      { retryable: true, attempts: 200, firstAttemptAt: 0, now: 59_000 },
      policy,
      high,
    );
    assert.deepEqual(
      verdict,
      { kind: 'retry', delayMs: 1_000 },
      'the last attempt falls on the end',
    );
    assert.deepEqual(
      afterFailure({ retryable: true, attempts: 2, firstAttemptAt: 0, now: 1_000 }, policy, high),
      { kind: 'retry', delayMs: 2_000 },
    );
  });

  it('dead-letters once the window from the first attempt has run out', () => {
    assert.deepEqual(
      afterFailure({ retryable: true, attempts: 3, firstAttemptAt: 0, now: 60_000 }, policy),
      { kind: 'dead' },
    );
  });

  it('dead-letters a permanent refusal at once', () => {
    assert.deepEqual(
      afterFailure({ retryable: false, attempts: 1, firstAttemptAt: 0, now: 0 }, policy),
      { kind: 'dead' },
    );
  });

  it('waits at least as long as the target asked (Retry-After)', () => {
    assert.deepEqual(
      afterFailure(
        { retryable: true, retryAfterMs: 30_000, attempts: 1, firstAttemptAt: 0, now: 0 },
        policy,
        high,
      ),
      { kind: 'retry', delayMs: 30_000 },
    );
  });

  it('never dead-letters a delivery whose window has not started (only probes failed)', () => {
    assert.equal(
      afterFailure({ retryable: true, attempts: 0, firstAttemptAt: null, now: 1e12 }, policy).kind,
      'retry',
    );
  });
});

describe('the retry settings', () => {
  it('default to a 24 h window and a 10 min longest wait', () => {
    const config = loadConfig({});
    assert.equal(config.deliveryRetryWindowMs, 24 * 3_600_000);
    assert.equal(config.deliveryMaxBackoffMs, 10 * 60_000);
  });

  it('read DELIVERY_RETRY_WINDOW and DELIVERY_MAX_BACKOFF as durations, naming a wrong one', () => {
    const config = loadConfig({ DELIVERY_RETRY_WINDOW: '2h', DELIVERY_MAX_BACKOFF: '30s' });
    assert.equal(config.deliveryRetryWindowMs, 7_200_000);
    assert.equal(config.deliveryMaxBackoffMs, 30_000);
    assert.throws(
      () => loadConfig({ DELIVERY_RETRY_WINDOW: 'forever' }),
      (error: Error & { code?: string }) =>
        error.code === 'ERR_INVALID_CONFIG' &&
        /DELIVERY_RETRY_WINDOW: "forever" is not a duration/.test(error.message),
    );
  });
});

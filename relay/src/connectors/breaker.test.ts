import assert from 'node:assert/strict';
import { CircuitBreaker } from './breaker.js';

describe('the circuit breaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, openMs: 1000, now: () => now });
  beforeEach(() => {
    now = 0;
  });

  it('opens after repeated failures and makes calls wait', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    assert.equal(b.state, 'closed');
    b.recordFailure();
    assert.equal(b.state, 'open');
    assert.equal(b.waitMs(), 1000);
  });

  it('lets one probe through when half-open and closes on its success', () => {
    const b = breaker();
    for (let i = 0; i < 3; i += 1) b.recordFailure();
    now = 1000;
    assert.equal(b.state, 'half-open');
    assert.equal(b.waitMs(), 0, 'the probe goes');
    assert.ok(b.waitMs() > 0, 'others wait while the probe is out');
    b.recordSuccess();
    assert.equal(b.state, 'closed');
    assert.equal(b.waitMs(), 0);
  });

  it('opens again at once when the probe fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i += 1) b.recordFailure();
    now = 1000;
    b.waitMs();
    b.recordFailure();
    assert.equal(b.state, 'open');
  });

  it('honours a Retry-After at once, whatever the count', () => {
    const b = breaker();
    b.recordFailure(2500);
    assert.equal(b.state, 'open');
    assert.equal(b.waitMs(), 2500);
  });

  it('marks the one call that goes through half-open as the probe', () => {
    const b = breaker();
    assert.deepEqual(b.admit(), { waitMs: 0, probe: false });
    for (let i = 0; i < 3; i += 1) b.recordFailure();
    now = 1000;
    assert.deepEqual(b.admit(), { waitMs: 0, probe: true });
    assert.equal(b.admit().probe, false, 'one probe at a time');
    b.releaseProbe();
    assert.deepEqual(b.admit(), { waitMs: 0, probe: true }, 'a released probe lets the next go');
  });
});

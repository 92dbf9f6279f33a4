import assert from 'node:assert/strict';
import { compareHlc, formatHlc, HybridClock } from './hlc.js';

describe('hybrid logical clock', () => {
  it('issues strictly increasing timestamps even when the wall clock stands still or goes back', () => {
    let wall = 1_000;
    const clock = new HybridClock('relay', { now: () => wall });
    const first = clock.now();
    const second = clock.now();
    wall = 500;
    const third = clock.now();
    assert.equal(compareHlc(first, second), -1);
    assert.equal(compareHlc(second, third), -1);
    assert.deepEqual(third, { wall: 1_000, counter: 2, node: 'relay' });
  });

  it('moves past a received timestamp that is ahead of its own', () => {
    const clock = new HybridClock('relay', { now: () => 1_000 });
    const received = clock.receive({ wall: 2_000, counter: 7, node: 'canvas' });
    assert.deepEqual(received, { wall: 2_000, counter: 8, node: 'relay' });
    assert.equal(compareHlc(clock.now(), received), 1);
  });

  it('rejects a received timestamp too far in the future, naming the drift', () => {
    const clock = new HybridClock('relay', { now: () => 0, maxDriftMs: 1_000 });
    assert.throws(
      () => clock.receive({ wall: 5_000, counter: 0, node: 'canvas' }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_INVALID_EVENT');
        assert.match(error.message, /5000 ms ahead of this clock \(limit 1000 ms\)/);
        return true;
      },
    );
  });

  it('formats timestamps so that string order is time order', () => {
    const a = formatHlc({ wall: 999, counter: 12, node: 'b' });
    const b = formatHlc({ wall: 1_000, counter: 1, node: 'a' });
    assert.ok(a < b);
  });
});

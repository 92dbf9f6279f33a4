import assert from 'node:assert/strict';
import { exampleEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

/** The most arrivals within any window of `windowMs`. */
function busiestWindow(arrivals: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while (arrivals[i]! - arrivals[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`high-tier deliveries are paced per target (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    afterEach(async () => {
      await h?.stop();
    });

    it('never sends a target more high-tier deliveries per second than TARGET_RATE_LIMIT', async () => {
      h = await new RelayHarness({ dialect, env: { TARGET_RATE_LIMIT: '4' } }).start();
      const enrollments = Array.from({ length: 12 }, (_, i) => exampleEvent('enrollment', i + 1));
      // One request each: events decided together would share one delivery.
      await h.send(enrollments);
      await waitFor('all 12 applied', () => h.target.applied.size === 12, 30_000);
      // BullMQ's limiter allows 4 per fixed window, so a sliding second may see two windows' share;
      // 12 deliveries need at least three windows, i.e. two full seconds from first to last.
      const busiest = busiestWindow(h.target.arrivals, 1000);
      assert.ok(busiest <= 8, `at most 2 x 4 in any second, saw ${busiest}`);
      const spread = h.target.arrivals.at(-1)! - h.target.arrivals[0]!;
      assert.ok(spread >= 1900, `12 deliveries at 4/s took ${spread} ms, less than 2 s`);
    });

    it('does not pace critical deliveries, which share nothing with the paced lane', async () => {
      h = await new RelayHarness({ dialect, env: { TARGET_RATE_LIMIT: '1' } }).start();
      const grades = Array.from({ length: 6 }, (_, i) => exampleEvent('grade', i + 1));
      const enrollments = Array.from({ length: 6 }, (_, i) => exampleEvent('enrollment', i + 1));
      await h.send([...enrollments, ...grades]);
      await waitFor('the 6 grades applied', () =>
        grades.every((g) => h.target.appliedCount.get(g.id) === 1),
      );
      const enrollmentsDone = enrollments.filter((e) => h.target.appliedCount.get(e.id)).length;
      assert.ok(enrollmentsDone < 6, 'grades did not wait behind the paced enrollments');
      await waitFor(
        'the enrollments follow at their pace',
        () => h.target.applied.size === 12,
        30_000,
      );
    });
  });
}

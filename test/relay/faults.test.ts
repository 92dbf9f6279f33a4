import assert from 'node:assert/strict';
import { exampleEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { PrivateRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the relay under faults (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    afterEach(async () => {
      await h?.stop();
    });

    describe('when the target answers 500 for longer than the retry window', () => {
      it('retries, then moves the events to the dead letters with the last error', async () => {
        h = await new RelayHarness({ dialect }).start(); // a 1.5 s retry window
        h.target.mode = { kind: 'fail', status: 500 };
        const events = [1, 2].map((i) => exampleEvent('grade', i));
        await h.send(events);
        await waitFor('both dead', async () => (await h.eventStates()).dead === 2);
        const dead = await h.relay.store.db.selectFrom('dead_letters').selectAll().execute();
        assert.deepEqual(
          dead.map((d) => [d.status, d.last_error.replace(/^.*: /, '')]),
          [
            ['open', 'HTTP 500'],
            ['open', 'HTTP 500'],
          ],
        );
        const deliveries = await h.relay.store.db.selectFrom('deliveries').selectAll().execute();
        for (const d of deliveries) {
          assert.equal(d.status, 'dead');
          // Dead only once the window from the first attempt ran out, not after a count.
          assert.ok(
            d.updated_at - d.first_attempt_at! >= 1_500,
            `dead ${d.updated_at - d.first_attempt_at!} ms after the first attempt`,
          );
        }
        assert.ok(h.target.requests.length >= 4, `retried: ${h.target.requests.length} requests`);
        assert.equal(h.target.applied.size, 0);
      });
    });

    describe('when the target refuses a delivery for good (422)', () => {
      it('dead-letters it at once, after one attempt, without waiting for the window', async () => {
        h = await new RelayHarness({ dialect, retry: { windowMs: 600_000 } }).start();
        h.target.mode = { kind: 'fail', status: 422 };
        const event = exampleEvent('grade', 3);
        await h.send([event]);
        await waitFor('dead', async () => (await h.eventStates()).dead === 1);
        const [letter] = await h.relay.store.db.selectFrom('dead_letters').selectAll().execute();
        assert.equal(letter!.attempts, 1);
        assert.match(letter!.last_error, /HTTP 422$/);
        assert.deepEqual(h.target.requests, [event.id]);
      });
    });

    describe('during an outage with the breaker open', () => {
      it('counts no failed half-open probe against the job it happened to pick', async () => {
        h = await new RelayHarness({
          dialect,
          retry: { windowMs: 600_000, backoffMs: 50, maxBackoffMs: 200 },
          breaker: { failureThreshold: 3, openMs: 100 },
        }).start();
        h.target.mode = { kind: 'fail', status: 503 };
        const high = [1, 2, 3, 4].map((i) => exampleEvent('enrollment', i));
        const critical = [5, 6, 7, 8].map((i) => exampleEvent('grade', i));
        await h.send([...high, ...critical], 8);
        // The first wave fails (one counted attempt each); then only probes go, one at a time.
        await waitFor('16 probes', () => h.target.requests.length >= 8 + 16, 30_000);
        h.target.mode = { kind: 'ok' };
        await waitFor('all 8 applied', async () => (await h.eventStates()).applied === 8, 30_000);
        const dead = await h.relay.store.db.selectFrom('dead_letters').selectAll().execute();
        assert.deepEqual(dead, []);
        const attempts = (
          await h.relay.store.db.selectFrom('deliveries').select('attempts').execute()
        ).map((d) => d.attempts);
        assert.ok(
          Math.max(...attempts) <= 2,
          `attempts per delivery ${attempts.join(', ')} after ${h.target.requests.length} requests`,
        );
      });
    });

    describe('when the target answers 429 with Retry-After', () => {
      it('waits as told, with the breaker open, and delivers once the target recovers', async () => {
        h = await new RelayHarness({ dialect, retry: { windowMs: 60_000, backoffMs: 50 } }).start();
        h.target.mode = { kind: 'retry-after', seconds: 1 };
        await h.send([exampleEvent('grade', 1)]);
        await waitFor('a 429', () => h.target.requests.length >= 1);
        const breaker = h.relay.workers!.breakers.get('webhook-1')!;
        assert.equal(breaker.state, 'open');
        const asked = h.target.requests.length;
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(h.target.requests.length, asked, 'nothing is sent while Retry-After runs');
        h.target.mode = { kind: 'ok' };
        await waitFor('delivered after recovery', () => h.target.applied.size === 1);
        // The target counts the delivery before the relay reads its answer: wait for the worker.
        await waitFor('the breaker closes on the success', () => breaker.state === 'closed');
        assert.equal((await h.eventStates()).applied, 1);
      });
    });

    describe('when the target times out', () => {
      it('counts the timeout as a failed attempt and dead-letters it when the window ends', async () => {
        h = await new RelayHarness({ dialect, env: {} }).start();
        h.target.mode = { kind: 'hang' };
        // The harness's webhook timeout is the connector default; shorten it through a fresh relay.
        await h.relay.close();
        const { startRelay, loadConfig } = await import('@cds/relay');
        h.relay = await startRelay({
          config: loadConfig(h.env),
          port: 0,
          retry: { windowMs: 500, backoffMs: 50 },
          webhookTimeoutMs: 300,
          sweeper: { idleMs: 500, intervalMs: 250 },
        });
        await h.send([exampleEvent('grade', 1)]);
        await waitFor(
          'dead after timeouts',
          async () => (await h.eventStates()).dead === 1,
          30_000,
        );
        const [dead] = await h.relay.store.db.selectFrom('dead_letters').selectAll().execute();
        assert.match(dead!.last_error, /timed out after 300 ms/);
      });
    });

    describe('when Redis is restarted with its data lost mid-run', () => {
      it('the sweeper brings every accepted event to the target', async () => {
        const redis = await new PrivateRedis().start();
        try {
          h = await new RelayHarness({ dialect, env: { REDIS_URL: redis.url } }).start();
          const events = Array.from({ length: 300 }, (_, i) => exampleEvent('grade', i + 1));
          await h.send(events.slice(0, 150), 50);
          await redis.crash();
          // While Redis is down the ingest still answers from the durable log.
          const during = await h.send(events.slice(150), 50);
          assert.ok(during.every((r) => r.status === 202));
          await redis.start();
          await waitFor(
            'all 300 applied',
            async () => (await h.eventStates()).applied === 300,
            45_000,
          );
          assert.equal(
            new Set([...h.target.applied.values()].flatMap((d) => d.eventIds)).size,
            300,
          );
          assert.ok(
            [...h.target.appliedCount.values()].every((n) => n === 1),
            'each event applied exactly once',
          );
        } finally {
          await h?.stop();
          await redis.stop();
        }
      });
    });
  });
}

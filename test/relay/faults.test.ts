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

    describe('when the target answers 500', () => {
      it('retries, then moves the events to the dead letters with the last error', async () => {
        h = await new RelayHarness({ dialect }).start();
        h.target.mode = { kind: 'fail', status: 500 };
        const events = [1, 2].map((i) => exampleEvent('grade', i));
        await h.send(events);
        await waitFor('both dead', async () => (await h.eventStates()).dead === 2);
        const dead = await h.relay.store.db.selectFrom('dead_letters').selectAll().execute();
        assert.equal(dead.length, 2);
        assert.ok(
          dead.every(
            (d) => d.last_error.endsWith('HTTP 500') && d.attempts === 3 && d.status === 'open',
          ),
        );
        assert.ok(
          h.target.requests.length >= 6,
          `3 attempts per event, saw ${h.target.requests.length}`,
        );
        assert.equal(h.target.applied.size, 0);
      });
    });

    describe('when the target answers 429 with Retry-After', () => {
      it('waits as told, with the breaker open, and delivers once the target recovers', async () => {
        h = await new RelayHarness({ dialect, retry: { attempts: 10, backoffMs: 50 } }).start();
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
      it('counts the timeout as a failed attempt and dead-letters it in the end', async () => {
        h = await new RelayHarness({ dialect, env: {} }).start();
        h.target.mode = { kind: 'hang' };
        // The harness's webhook timeout is the connector default; shorten it through a fresh relay.
        await h.relay.close();
        const { startRelay, loadConfig } = await import('@cds/relay');
        h.relay = await startRelay({
          config: loadConfig(h.env),
          port: 0,
          retry: { attempts: 2, backoffMs: 50 },
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

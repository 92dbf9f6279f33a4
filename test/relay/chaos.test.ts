import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ENTITY_TYPES, exampleEvent } from '@cds/shared';
import type { RelayOptions } from '@cds/relay';
import { RelayHarness } from '../support/relay-harness.js';
import { PrivateRedis } from '../support/redis-server.js';
import { FLAKY_22 } from '../support/target-server.js';
import { waitFor } from '../support/wait.js';

// Every entity, against a receiver failing 22% of requests (15% 500, 5% 429, 2% hangs after
// applying), with the worker killed -9 mid-stream and Redis restarted with its data lost. The
// full run: CHAOS_EVENTS=10000 pnpm test:unit --grep 'chaos.*sqlite'
const EVENTS = Number(process.env.CHAOS_EVENTS ?? 300);
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);

const WORKER = fileURLToPath(new URL('../support/relay-worker.ts', import.meta.url));
const WORKER_OPTIONS: Partial<RelayOptions> = {
  sweeper: { idleMs: 2_000, intervalMs: 500 },
  webhookTimeoutMs: 1_000,
  stalledIntervalMs: 1_000,
  // The production retry window (24 h): a flaky target must not need a person.
  retry: { backoffMs: 100, maxBackoffMs: 2_000 },
};

function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env, CDS_TEST_WORKER_OPTIONS: JSON.stringify(WORKER_OPTIONS) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`chaos: ${EVENTS} events, a flaky target, a worker killed -9, Redis restarted empty (${dialect})`, function () {
    this.timeout(120_000 + EVENTS * 40);
    let h: RelayHarness | undefined;
    let redis: PrivateRedis | undefined;
    const workers: ChildProcess[] = [];
    afterEach(async () => {
      for (const w of workers.splice(0)) if (w.exitCode === null) w.kill('SIGKILL');
      await h?.stop();
      await redis?.stop();
    });

    it('applies every event exactly once and dead-letters none', async () => {
      const started = Date.now();
      redis = await new PrivateRedis().start();
      h = await new RelayHarness({
        dialect,
        role: 'web',
        env: { REDIS_URL: redis.url, BACKGROUND_BATCH_INTERVAL: '2s' },
      }).start();
      const harness = h;
      harness.target.mode = { ...FLAKY_22, seed: SEED };
      const events = Array.from({ length: EVENTS }, (_, i) =>
        exampleEvent(ENTITY_TYPES[i % ENTITY_TYPES.length]!, i + 1),
      );
      const half = Math.floor(EVENTS / 2);
      workers.push(startWorker(harness.env));
      const first = await harness.send(events.slice(0, half), 100);
      assert.ok(first.every((r) => r.status === 202));

      await waitFor(
        'the first worker under way',
        () => harness.target.appliedCount.size >= Math.ceil(EVENTS / 6),
        60_000 + EVENTS * 10,
      );
      workers[0]!.kill('SIGKILL');
      await redis.crash();
      const appliedAtKill = harness.target.appliedCount.size;
      // Redis is down: the ingest still answers from the durable log.
      const second = await harness.send(events.slice(half), 100);
      assert.ok(second.every((r) => r.status === 202));
      await redis.start();
      workers.push(startWorker(harness.env));

      // Finished when no event has work ahead: then every one must be applied.
      const states = await waitFor(
        'every event finished',
        async () => {
          const counts = await harness.eventStates();
          return (counts.accepted ?? 0) + (counts.delivering ?? 0) === 0 && counts;
        },
        60_000 + EVENTS * 30,
        250,
      );
      const twice = [...harness.target.appliedCount].filter(([, n]) => n !== 1);
      const dead = await harness.relay.store.db.selectFrom('dead_letters').selectAll().execute();
      const { fail500, fail429, hang } = harness.target.faults;
      const figures =
        `${EVENTS} events (${dialect}, seed ${SEED}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${harness.target.requests.length} requests (${fail500} x 500, ${fail429} x 429, ${hang} hangs), ` +
        `${appliedAtKill} applied at the kill, ${dead.length} dead letters, ${twice.length} applied twice`;
      if (process.env.CHAOS_EVENTS) console.error(`      chaos: ${figures}`);

      assert.deepEqual(states, { applied: EVENTS }, figures);
      assert.equal(harness.target.appliedCount.size, EVENTS, figures);
      assert.deepEqual(twice, [], figures);
      assert.deepEqual(dead, [], figures);
      assert.ok(appliedAtKill < EVENTS, `killed mid-stream (${figures})`);
      assert.ok(fail500 > 0 && fail429 > 0, `the target did fail (${figures})`);
      assert.deepEqual(harness.target.rejections, [], 'every delivery verified');
    });
  });
}

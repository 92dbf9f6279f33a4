import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exampleEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

const RELAY_MAIN = fileURLToPath(new URL('../../relay/src/main.ts', import.meta.url));

/** A relay worker in its own process, as production runs `--role=worker`. */
function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', RELAY_MAIN, '--role=worker'], {
    env: { ...process.env, ...env, STALLED_INTERVAL: '1s' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`a worker killed mid-run (${dialect})`, function () {
    this.timeout(120_000);
    let h: RelayHarness;
    const workers: ChildProcess[] = [];
    afterEach(async () => {
      for (const w of workers.splice(0)) if (w.exitCode === null) w.kill('SIGKILL');
      await h?.stop();
    });

    it('leaves every one of 2,000 events applied exactly once at the target', async () => {
      h = await new RelayHarness({ dialect, role: 'web' }).start();
      const first = startWorker(h.env);
      workers.push(first);
      const events = Array.from({ length: 2000 }, (_, i) =>
        exampleEvent(i % 3 ? 'grade' : 'exam_result', i + 1),
      );
      const responses = await h.send(events, 100);
      assert.ok(responses.every((r) => r.status === 202));

      await waitFor('the first worker under way', () => h.target.appliedCount.size >= 200, 60_000);
      first.kill('SIGKILL');
      const appliedAtKill = h.target.appliedCount.size;
      assert.ok(appliedAtKill < 2000, `killed mid-run (applied ${appliedAtKill})`);

      workers.push(startWorker(h.env));
      await waitFor(
        'all 2,000 applied',
        async () => (await h.eventStates()).applied === 2000,
        90_000,
      );
      const delivered = new Set([...h.target.applied.values()].flatMap((d) => d.eventIds));
      assert.equal(delivered.size, 2000);
      const twice = [...h.target.appliedCount.entries()].filter(([, n]) => n !== 1);
      assert.deepEqual(twice, [], 'no event applied twice');
    });
  });
}

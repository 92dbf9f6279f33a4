import assert from 'node:assert/strict';
import { DEFAULT_POLICIES, exampleEvent, resolveState, type EntityState } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`decisions on one entity made at the same time (${dialect})`, function () {
    this.timeout(90_000);
    let h: RelayHarness;
    beforeEach(async () => {
      h = await new RelayHarness({ dialect }).start();
    });
    afterEach(async () => {
      await h?.stop();
    });

    async function stateOf(key: string): Promise<EntityState> {
      const row = await h.relay.store.db
        .selectFrom('sync_state')
        .select('state')
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return JSON.parse(row.state) as EntityState;
    }

    async function allDecided(count: number): Promise<boolean> {
      const states = await h.eventStates();
      return (states.applied ?? 0) + (states.stale ?? 0) + (states.overridden ?? 0) === count;
    }

    it('first versions from both sides of many keys, decided concurrently, lose no version', async () => {
      const pairs = Array.from({ length: 20 }, (_, i) => {
        const canvas = exampleEvent('grade', i + 1, { source: 'canvas', vv: { canvas: 1 } });
        const discourse = {
          ...exampleEvent('grade', i + 1, { source: 'discourse', vv: { discourse: 1 } }),
          payload: { ...canvas.payload, score: 0, grade: '0' },
        };
        return [canvas, discourse] as const;
      });
      await Promise.all(pairs.flat().map((event) => h.send([event])));
      await waitFor('all 40 decided', () => allDecided(40), 40_000);
      for (const [canvas] of pairs) {
        const state = await stateOf(canvas.key);
        assert.equal(
          state.registers['*']!.length,
          2,
          `${canvas.key} keeps both concurrent versions`,
        );
        assert.deepEqual(resolveState(DEFAULT_POLICIES.grade, state).value, canvas.payload);
      }
    });

    it('a run of edits to one key posted at once ends with the newest', async () => {
      const edits = Array.from({ length: 30 }, (_, i) => {
        const event = exampleEvent('grade', 1, { source: 'canvas', vv: { canvas: i + 1 } });
        return { ...event, payload: { ...event.payload, score: i + 1, grade: String(i + 1) } };
      });
      await Promise.all(edits.map((event) => h.send([event])));
      await waitFor('all 30 decided', () => allDecided(30), 40_000);
      const state = await stateOf(edits[0]!.key);
      assert.equal(state.registers['*']!.length, 1);
      assert.equal(
        (resolveState(DEFAULT_POLICIES.grade, state).value as { score: number }).score,
        30,
      );
    });
  });
}

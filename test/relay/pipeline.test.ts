import assert from 'node:assert/strict';
import { verifyAuditChain } from '@cds/relay';
import { exampleEvent, type SyncEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the relay pipeline (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    beforeEach(async () => {
      h = await new RelayHarness({ dialect }).start();
    });
    afterEach(async () => {
      await h?.stop();
    });

    it('accepts a signed batch and applies every event once at the target', async () => {
      const events = Array.from({ length: 30 }, (_, i) =>
        exampleEvent(i % 2 ? 'grade' : 'enrollment', i + 1),
      );
      const responses = await h.send(events, 10);
      assert.deepEqual(
        responses.map((r) => r.status),
        [202, 202, 202],
      );
      assert.ok(responses.every((r) => r.body.results?.every((x) => x.status === 'accepted')));
      await waitFor('every event applied', async () => (await h.eventStates()).applied === 30);
      assert.equal(h.target.appliedCount.size, 30);
      assert.ok([...h.target.appliedCount.values()].every((n) => n === 1));
      // Events decided together go together: one delivery per request and tier (3 x 2).
      assert.equal(h.target.applied.size, 6);
      const verification = await verifyAuditChain(h.relay.store);
      assert.equal(verification.ok, true);
      assert.ok(
        verification.checked >= 36,
        'a decision record per event, a delivery record per delivery',
      );
    });

    it('acknowledges a duplicate delivery of an event without applying it twice', async () => {
      const event = exampleEvent('grade', 1);
      await h.send([event]);
      const [again] = await h.send([event]);
      assert.equal(again!.body.results![0]!.status, 'duplicate');
      await waitFor('the event applied', async () => (await h.eventStates()).applied === 1);
      assert.equal(h.target.applied.size, 1);
    });

    it('delivers the source of truth when both sides edit a grade concurrently', async () => {
      const canvas = exampleEvent('grade', 7, { source: 'canvas', vv: { canvas: 1 } });
      const discourse: SyncEvent = {
        ...exampleEvent('grade', 7, { source: 'discourse', vv: { discourse: 1 } }),
        payload: { ...canvas.payload, score: 1 },
      };
      await h.send([canvas]);
      await waitFor('the canvas edit applied', async () => (await h.eventStates()).applied === 1);
      await h.send([discourse]);
      await waitFor(
        'the discourse edit decided',
        async () => (await h.eventStates()).overridden === 1,
      );
      const row = await h.relay.store.db
        .selectFrom('events')
        .selectAll()
        .where('id', '=', discourse.id)
        .executeTakeFirstOrThrow();
      assert.match(
        row.reason!,
        /overridden by concurrent canvas event .*: canvas is the source of truth/,
      );
      assert.equal(h.target.applied.size, 1, 'the overridden edit is not delivered');
      assert.deepEqual([...h.target.applied.values()][0]!.items[0]!.value, canvas.payload);
    });

    it('ends with the source of truth whichever edit is decided first', async () => {
      const canvas = exampleEvent('grade', 8, { source: 'canvas', vv: { canvas: 1 } });
      const discourse: SyncEvent = {
        ...exampleEvent('grade', 8, { source: 'discourse', vv: { discourse: 1 } }),
        payload: { ...canvas.payload, score: 1 },
      };
      await h.send([discourse]);
      await waitFor(
        'the discourse edit applied',
        async () => (await h.eventStates()).applied === 1,
      );
      await h.send([canvas]);
      await waitFor('the canvas edit applied', async () => (await h.eventStates()).applied === 2);
      const last = [...h.target.applied.values()].at(-1)!;
      assert.equal(last.idempotencyKey, canvas.id);
      assert.deepEqual(last.items[0]!.value, canvas.payload);
    });

    it('collects background events and delivers them as one sealed batch', async () => {
      const posts = Array.from({ length: 12 }, (_, i) => exampleEvent('forum_post', i + 1));
      await h.send(posts, 12);
      assert.equal(h.target.applied.size, 0, 'background events wait for the batch');
      await h.relay.workers!.runBackgroundBatch();
      await waitFor('the batch delivered', () => h.target.applied.size === 1);
      const [delivery] = [...h.target.applied.values()];
      assert.deepEqual(new Set(delivery!.eventIds), new Set(posts.map((p) => p.id)));
      const seal = await h.relay.store.db
        .selectFrom('audit')
        .selectAll()
        .where('action', '=', 'batch.sealed')
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(seal.detail).count, 12);
      assert.equal(seal.subject, delivery!.idempotencyKey);
    });

    it('dead-letters alone an event the target refuses in a delivery it takes, with its reason', async () => {
      const grades = Array.from({ length: 5 }, (_, i) => exampleEvent('grade', 40 + i));
      const refused = grades[2]!;
      h.target.refuse.set(refused.id, 'assignment 355 is closed for grading');
      await h.send(grades, 5);
      await waitFor('the others applied', async () => (await h.eventStates()).applied === 4);
      assert.equal(h.target.applied.size, 1, 'one delivery carried all five');
      assert.equal(h.target.appliedCount.has(refused.id), false);
      const row = await h.relay.store.db
        .selectFrom('events')
        .select(['state', 'reason'])
        .where('id', '=', refused.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.state, 'dead');
      assert.match(row.reason!, /webhook-1 refused it: assignment 355 is closed for grading/);
      const letter = await h.relay.store.db
        .selectFrom('dead_letters')
        .selectAll()
        .where('event_id', '=', refused.id)
        .executeTakeFirstOrThrow();
      assert.equal(letter.status, 'open');
      assert.match(letter.last_error, /refused: assignment 355 is closed/);
      assert.equal(h.target.requests.length, 1, 'no retry: the delivery was taken');
    });
  });
}

import assert from 'node:assert/strict';
import { startRelay, loadConfig } from '@cds/relay';
import type { MappingRegistry } from '@cds/shared';
import { exampleEvent, gradeKey, gradeV1, defaultMappings, type GradeV1 } from '@cds/shared';
import { cds } from '../support/cds.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the cds command line (${dialect})`, function () {
    this.timeout(90_000);
    let h: RelayHarness;
    let env: Record<string, string>;
    beforeEach(async () => {
      h = await new RelayHarness({ dialect }).start();
      env = { ...h.env, RELAY_URL: h.url };
    });
    afterEach(async () => {
      await h?.stop();
    });

    it('"cds example grade | cds send" delivers the examples, and a bad line sends nothing', async () => {
      const unknown = await cds(['example', 'homework'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /unknown entity "homework": use one of grade, /);
      const example = await cds(['example', 'grade', '--count', '3'], env);
      assert.equal(example.code, 0, example.stderr);
      const sent = await cds(
        ['send', '--producer', 'canvas', '--keys-dir', h.dir, '--batch', '2', '-'],
        env,
        example.stdout,
      );
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(sent.stdout.match(/^accepted /gm)?.length, 3);
      assert.match(sent.stderr, /3 sent to .*: 3 accepted, 0 duplicate, 0 parked, 0 rejected/);
      await waitFor('3 applied', () => h.target.appliedCount.size === 3);

      const lines = example.stdout.trim().split('\n');
      const broken = `${lines[0]}\n{"id": "not json"\n`;
      const bad = await cds(
        ['send', '--producer', 'canvas', '--keys-dir', h.dir, '-'],
        env,
        broken,
      );
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /standard input line 2: /);
      const again = await cds(
        ['send', '--producer', 'canvas', '--keys-dir', h.dir, '-'],
        env,
        lines[0],
      );
      assert.match(
        again.stdout,
        /^duplicate /m,
        'the first line was not sent twice, and now is a duplicate',
      );
    });

    it('lists dead letters and "cds dlq replay" delivers them once the target is back', async () => {
      h.target.mode = { kind: 'fail', status: 500 };
      const events = [1, 2].map((i) => exampleEvent('grade', i));
      await h.send(events);
      await waitFor('both dead', async () => (await h.eventStates()).dead === 2, 30_000);

      const list = await cds(['dlq', 'list'], env);
      assert.equal(list.code, 0, list.stderr);
      for (const event of events) assert.match(list.stdout, new RegExp(event.id));
      assert.match(list.stdout, /HTTP 500/);
      const show = await cds(['dlq', 'show', events[0]!.id], env);
      assert.equal(JSON.parse(show.stdout).letters[0].target, 'webhook-1');

      h.target.mode = { kind: 'ok' };
      const replay = await cds(['dlq', 'replay', '--all'], env);
      assert.equal(replay.code, 0, replay.stderr);
      assert.match(replay.stdout, /replayed 2 event/);
      await waitFor('both applied', async () => (await h.eventStates()).applied === 2);
      assert.deepEqual([...h.target.appliedCount.values()], [1, 1]);
      assert.match((await cds(['dlq', 'list'], env)).stdout, /no open dead letters/);
      // The letters say they were delivered, when, and no longer show the old error.
      const letters = await h.relay.store.db.selectFrom('dead_letters').selectAll().execute();
      assert.deepEqual(
        letters.map((l) => [l.status, l.last_error, typeof l.delivered_at]),
        [
          ['delivered', '', 'number'],
          ['delivered', '', 'number'],
        ],
      );
      const delivered = await cds(['dlq', 'list', '--status', 'delivered'], env);
      for (const event of events) assert.match(delivered.stdout, new RegExp(event.id));
      const audited = await h.relay.store.db
        .selectFrom('audit')
        .selectAll()
        .where('action', '=', 'dlq.replayed')
        .execute();
      assert.equal(audited.length, 2);
      assert.match(audited[0]!.actor, /^cli:/);
    });

    it('"cds dlq discard" needs a reason and gives the letter up for good', async () => {
      h.target.mode = { kind: 'fail', status: 500 };
      const [event] = [exampleEvent('grade', 5)];
      await h.send([event!]);
      await waitFor('dead', async () => (await h.eventStates()).dead === 1, 30_000);
      const noReason = await cds(['dlq', 'discard', event!.id], env);
      assert.notEqual(noReason.code, 0);
      assert.match(noReason.stderr, /--reason/);
      const discard = await cds(['dlq', 'discard', event!.id, '--reason', 'student withdrew'], env);
      assert.match(discard.stdout, /discarded 1 event/);
      assert.match(
        (await cds(['dlq', 'list', '--status', 'discarded'], env)).stdout,
        new RegExp(event!.id),
      );
    });

    it('"cds audit verify" passes on a real run and fails after one row is altered', async () => {
      await h.send([1, 2, 3].map((i) => exampleEvent('grade', i)));
      await waitFor('3 applied', async () => (await h.eventStates()).applied === 3);
      const intact = await cds(['audit', 'verify'], env);
      assert.equal(intact.code, 0, intact.stdout + intact.stderr);
      assert.match(intact.stdout, /audit chain intact: \d+ records verified/);

      const [, second] = await h.relay.store.db
        .selectFrom('audit')
        .select(['seq', 'detail'])
        .orderBy('seq')
        .limit(2)
        .execute();
      await h.relay.store.db
        .updateTable('audit')
        .set({ detail: second!.detail.replace(/}$/, ',"note":"edited"}') })
        .where('seq', '=', second!.seq)
        .execute();
      const broken = await cds(['audit', 'verify'], env);
      assert.equal(broken.code, 1);
      assert.match(
        broken.stdout,
        new RegExp(`BROKEN at record ${second!.seq}: content does not match its hash`),
      );
    });

    it('"cds audit prove" proves an event of a sealed background batch', async () => {
      const posts = [1, 2, 3, 4, 5].map((i) => exampleEvent('forum_post', i));
      await h.send(posts, 5);
      await h.relay.workers!.runBackgroundBatch();
      await waitFor('the batch delivered', () => h.target.applied.size === 1);
      const proof = await cds(['audit', 'prove', posts[2]!.id], env);
      assert.equal(proof.code, 0, proof.stderr);
      assert.match(proof.stdout, /proof valid\s*$/);
      const json = JSON.parse(proof.stdout.replace(/proof valid\s*$/, ''));
      assert.equal(json.checks.merkle, true);
      assert.ok(json.batch.proof.length >= 2);
      const unknown = await cds(['audit', 'prove', '01890000-0000-7000-8000-000000000000'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no decision in the audit log/);
    });

    it('"cds conflicts resolve" settles a content edit conflict with the side taken', async () => {
      const canvas = exampleEvent('content_edit', 1, { source: 'canvas', vv: { canvas: 1 } });
      const discourse = {
        ...exampleEvent('content_edit', 1, { source: 'discourse', vv: { discourse: 1 } }),
        payload: { ...canvas.payload, body_html: '<p>Edited in the forum.</p>' },
      };
      await h.send([canvas, discourse]);
      await h.relay.workers!.runBackgroundBatch();
      const listed = (await waitFor('a conflict listed', async () => {
        const run = await cds(['conflicts', 'list', '--json'], env);
        const rows = JSON.parse(run.stdout) as Array<{ id: string; key: string }>;
        return rows.length === 1 ? rows : undefined;
      }))!;
      assert.equal(listed[0]!.key, canvas.key);
      const wrongSide = await cds(['conflicts', 'resolve', listed[0]!.id, '--take', 'moodle'], env);
      assert.equal(wrongSide.code, 1);
      assert.match(wrongSide.stderr, /--take must be canvas or discourse/);
      const resolved = await cds(
        ['conflicts', 'resolve', listed[0]!.id, '--take', 'discourse'],
        env,
      );
      assert.equal(resolved.code, 0, resolved.stderr);
      await h.relay.workers!.runBackgroundBatch();
      await waitFor('the chosen version delivered', () =>
        [...h.target.applied.values()].some((d) =>
          d.items.some(
            (item) =>
              (item.value as { body_html?: string } | null)?.body_html ===
              '<p>Edited in the forum.</p>',
          ),
        ),
      );
      assert.match((await cds(['conflicts', 'list'], env)).stdout, /no open conflicts/);
      assert.match(
        (await cds(['conflicts', 'list', '--status', 'resolved'], env)).stdout,
        /took discourse/,
      );
    });

    it('"cds replay" applies parked events once a mapping for their schema exists', async () => {
      const event = { ...exampleEvent('grade', 9), schema: 'grade@v2' };
      await h.send([event]);
      assert.equal((await h.eventStates()).parked, 1);
      // The operator deploys a relay that knows grade@v2 (here: v1 plus a late-work flag).
      const v2 = gradeV1.extend({ late_policy_applied: gradeV1.shape.muted });
      const mappings: MappingRegistry = defaultMappings().register({
        entity: 'grade',
        version: 2,
        schema: v2,
        keyOf: (p) => gradeKey(p as GradeV1),
      });
      await h.relay.close();
      h.relay = await startRelay({
        config: loadConfig(h.env),
        port: 0,
        mappings,
        sweeper: { idleMs: 500, intervalMs: 250 },
      });
      const replay = await cds(['replay', '--since', '10m'], env);
      assert.equal(replay.code, 0, replay.stderr);
      assert.match(replay.stdout, /replayed 1 event/);
      await waitFor('applied after replay', async () => (await h.eventStates()).applied === 1);
      const badWindow = await cds(['replay', '--since', 'yesterday'], env);
      assert.equal(badWindow.code, 1);
      assert.match(badWindow.stderr, /neither a time .* nor a duration ago/);
    });
  });
}

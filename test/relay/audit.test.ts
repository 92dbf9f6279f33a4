// The audit chain vouches for the data (issue 8, section 3): decisions hash the event they
// decided, `cds audit verify` and `cds audit prove` check event bodies, `cds audit head` and
// `verify --expect` catch a truncated tail. Through the real `cds` command, on both databases.
import assert from 'node:assert/strict';
import { exampleEvent, type SyncEvent } from '@cds/shared';
import { cds } from '../support/cds.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the audit chain through "cds audit" (${dialect})`, function () {
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

    async function applied(count: number): Promise<SyncEvent[]> {
      const events = Array.from({ length: count }, (_, i) => exampleEvent('grade', i + 1));
      await h.send(events);
      await waitFor(`${count} applied`, async () => (await h.eventStates()).applied === count);
      return events;
    }

    async function headRow(): Promise<{ seq: number; hash: string }> {
      const row = await h.relay.store.db
        .selectFrom('audit_head')
        .select(['seq', 'hash'])
        .executeTakeFirstOrThrow();
      return { seq: Number(row.seq), hash: row.hash };
    }

    it('"cds audit head" prints the head of the chain, as SEQ:HASH or JSON', async () => {
      await applied(2);
      const real = await headRow();
      const last = await h.relay.store.db
        .selectFrom('audit')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.deepEqual(real, { seq: Number(last.seq), hash: last.hash });
      assert.ok(real.seq >= 4, 'a decision and a delivery per event');

      const head = await cds(['audit', 'head'], env);
      assert.equal(head.code, 0, head.stderr);
      assert.equal(head.stdout, `${real.seq}:${real.hash}\n`);
      const json = await cds(['audit', 'head', '--json'], env);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), real);
    });

    it("an applied event's changed body fails verify, naming the event, and makes its proof invalid", async () => {
      const events = await applied(3);
      const intact = await cds(['audit', 'verify'], env);
      assert.equal(intact.code, 0, intact.stdout + intact.stderr);
      assert.match(intact.stdout, /audit chain intact: \d+ records verified/);

      const target = events[1]!;
      const decision = await h.relay.store.db
        .selectFrom('audit')
        .select(['seq', 'detail'])
        .where('subject', '=', target.id)
        .where('action', '=', 'event.apply')
        .executeTakeFirstOrThrow();
      const { body } = await h.relay.store.db
        .selectFrom('events')
        .select('body')
        .where('id', '=', target.id)
        .executeTakeFirstOrThrow();
      const forged = { ...target, payload: { ...target.payload, score: 100 } };
      await h.relay.store.db
        .updateTable('events')
        .set({ body: JSON.stringify(forged) })
        .where('id', '=', target.id)
        .execute();

      const verify = await cds(['audit', 'verify'], env);
      assert.equal(verify.code, 1, verify.stdout + verify.stderr);
      assert.match(
        verify.stdout,
        new RegExp(
          `audit chain BROKEN at record ${decision.seq}: the stored body of event ${target.id} no longer matches the hash its decision recorded`,
        ),
      );
      const proof = await cds(['audit', 'prove', target.id], env);
      assert.equal(proof.code, 1, proof.stdout + proof.stderr);
      assert.match(proof.stdout, /proof INVALID\s*$/);
      const json = JSON.parse(proof.stdout.replace(/proof INVALID\s*$/, ''));
      assert.deepEqual(json.checks, { decisionHash: true, eventHash: false });
      assert.notEqual(json.event.storedHash, json.event.recordedHash);
      assert.match(decision.detail, new RegExp(`"eventHash":"${json.event.recordedHash}"`));
      const other = await cds(['audit', 'prove', events[0]!.id], env);
      assert.equal(other.code, 0, other.stdout + other.stderr);
      assert.equal(JSON.parse(other.stdout.replace(/proof valid\s*$/, '')).checks.eventHash, true);

      // The same content stored again, even reformatted, matches again: the hash is canonical.
      await h.relay.store.db
        .updateTable('events')
        .set({ body: JSON.stringify(JSON.parse(body), null, 2) })
        .where('id', '=', target.id)
        .execute();
      const restored = await cds(['audit', 'verify'], env);
      assert.equal(restored.code, 0, restored.stdout + restored.stderr);
      assert.match(
        restored.stdout,
        /audit chain intact: \d+ records verified, 3 event bodies match/,
      );
    });

    it('a tail removed with the head row moved back passes plain verify but not --expect', async () => {
      await applied(3);
      const kept = await cds(['audit', 'head'], env);
      assert.equal(kept.code, 0, kept.stderr);
      const expect = kept.stdout.trim();
      const ok = await cds(['audit', 'verify', '--expect', expect], env);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, new RegExp(`audit chain intact: .*, head ${expect} present`));

      const { seq } = await headRow();
      const remaining = seq - 2;
      await h.relay.store.db.deleteFrom('audit').where('seq', '>', remaining).execute();
      const last = await h.relay.store.db
        .selectFrom('audit')
        .select(['seq', 'hash'])
        .where('seq', '=', remaining)
        .executeTakeFirstOrThrow();
      await h.relay.store.db.updateTable('audit_head').set(last).where('id', '=', 1).execute();

      const plain = await cds(['audit', 'verify'], env);
      assert.equal(plain.code, 0, 'the shortened chain is consistent in itself');
      assert.match(plain.stdout, new RegExp(`audit chain intact: ${remaining} records verified`));
      const expected = await cds(['audit', 'verify', '--expect', expect], env);
      assert.equal(expected.code, 1, expected.stdout + expected.stderr);
      assert.match(
        expected.stdout,
        new RegExp(
          `audit chain BROKEN at record ${seq}: the expected head, record ${seq}, is missing: the log ends at record ${remaining} \\(records were removed\\)`,
        ),
      );
    });

    it('refuses a malformed --expect with a message that says the form', async () => {
      for (const bad of ['12', 'latest', `12:${'z'.repeat(64)}`]) {
        const run = await cds(['audit', 'verify', '--expect', bad], env);
        assert.equal(run.code, 1, bad);
        assert.match(
          run.stderr,
          new RegExp(
            `option '--expect <SEQ:HASH>' argument '${bad}' is invalid\\. expected a head as "cds audit head" prints it, SEQ:HASH \\(a record number, a colon and 64 hex digits\\)`,
          ),
        );
        assert.equal(run.stdout, '', 'nothing was verified');
      }
    });
  });
}

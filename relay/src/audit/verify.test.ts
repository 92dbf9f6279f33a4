import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { eventHash, exampleEvent, type SyncEvent } from '@cds/shared';
import { GENESIS_HASH } from '../db/migrations.js';
import { forEachDatabase } from '../../testing/databases.js';
import { writeTransaction } from '../db/transaction.js';
import { logEvents } from '../store/events.js';
import { appendAudit, type AuditEntry } from './chain.js';
import { readAuditHead } from './head.js';
import { verifyAuditChain } from './verify.js';

forEachDatabase('verifying the audit chain against the event log', (ctx) => {
  /** Logs events and records a decision for each, as the decide stage does; returns their seqs. */
  async function decided(
    events: SyncEvent[],
    detail?: (e: SyncEvent) => object,
  ): Promise<number[]> {
    return writeTransaction(ctx.store, async (trx) => {
      await logEvents(
        trx,
        events.map((event) => ({ event, producer: 'canvas', tier: 'high', state: 'accepted' })),
      );
      const entries: AuditEntry[] = events.map((event) => ({
        actor: 'worker',
        action: 'event.apply',
        subject: event.id,
        detail: detail ? { ...detail(event) } : { key: event.key, eventHash: eventHash(event) },
      }));
      return (await appendAudit(trx, entries)).map((r) => r.seq);
    });
  }

  async function other(count: number): Promise<void> {
    await writeTransaction(ctx.store, (trx) =>
      appendAudit(
        trx,
        Array.from({ length: count }, (_, i) => ({
          actor: 'test',
          action: 'delivery.done',
          subject: `d${i}`,
          detail: { i },
        })),
      ),
    );
  }

  const grades = (n: number) => Array.from({ length: n }, (_, i) => exampleEvent('grade', i + 1));

  async function setBody(id: string, body: string): Promise<void> {
    await ctx.store.db.updateTable('events').set({ body }).where('id', '=', id).execute();
  }

  describe('when every decided event is as it was decided', () => {
    it('passes and counts the event bodies it checked', async () => {
      await decided(grades(3));
      await other(2);
      assert.deepEqual(await verifyAuditChain(ctx.store), { ok: true, checked: 5, events: 3 });
    });

    it('passes when a body is stored with another key order and spacing (canonical form)', async () => {
      const [event] = grades(1);
      await decided([event!]);
      const reordered = Object.fromEntries(Object.entries(event!).reverse());
      await setBody(event!.id, JSON.stringify(reordered, null, 2));
      assert.equal((await verifyAuditChain(ctx.store)).ok, true);
    });

    it('skips decisions recorded before they carried an eventHash', async () => {
      await decided(grades(2), (e) => ({ key: e.key }));
      assert.deepEqual(await verifyAuditChain(ctx.store), { ok: true, checked: 2, events: 0 });
    });
  });

  describe("when an applied event's stored body is changed", () => {
    it('fails at its decision, naming the event', async () => {
      const events = grades(3);
      const seqs = await decided(events);
      await other(1);
      const changed = { ...events[1]!, payload: { ...events[1]!.payload, score: 100 } };
      await setBody(events[1]!.id, JSON.stringify(changed));
      const result = await verifyAuditChain(ctx.store);
      assert.equal(result.ok, false);
      assert.deepEqual(result.broken, {
        seq: seqs[1],
        eventId: events[1]!.id,
        reason: `the stored body of event ${events[1]!.id} no longer matches the hash its decision recorded (changed)`,
      });
      assert.equal(result.checked, 1, 'the record before it held');
    });

    it('names the first changed event in the log, on a later page', async () => {
      const events = grades(2300);
      const seqs = await decided(events);
      for (const i of [2100, 2200]) await setBody(events[i]!.id, '{"id":"x"}');
      const result = await verifyAuditChain(ctx.store);
      assert.equal(result.broken?.seq, seqs[2100]);
      assert.equal(result.broken?.eventId, events[2100]!.id);
      assert.equal(result.checked, 2100);
    });

    it('fails when the body is no longer JSON', async () => {
      const [event] = grades(1);
      await decided([event!]);
      await setBody(event!.id, 'not json');
      const result = await verifyAuditChain(ctx.store);
      assert.equal(result.broken?.eventId, event!.id);
      assert.match(result.broken!.reason, /no longer matches the hash its decision recorded/);
    });

    it('fails when the decided event was deleted from the log', async () => {
      const [event] = grades(1);
      const [seq] = await decided([event!]);
      await ctx.store.db.deleteFrom('events').where('id', '=', event!.id).execute();
      const result = await verifyAuditChain(ctx.store);
      assert.deepEqual(result.broken, {
        seq,
        eventId: event!.id,
        reason: `event ${event!.id}, decided here, is missing from the event log`,
      });
    });
  });

  describe('with an expected head kept elsewhere (--expect)', () => {
    it('passes while the expected record is in the chain, also once more were appended', async () => {
      await other(3);
      const head = await readAuditHead(ctx.store);
      assert.equal(head.seq, 3);
      await other(2);
      assert.deepEqual(await verifyAuditChain(ctx.store, { expect: head }), {
        ok: true,
        checked: 5,
        events: 0,
      });
    });

    it('catches a truncated tail with the head row moved back, which plain verify cannot', async () => {
      await decided(grades(3));
      await other(3);
      const head = await readAuditHead(ctx.store);
      await sql`delete from audit where seq > 4`.execute(ctx.store.db);
      const last = await ctx.store.db
        .selectFrom('audit')
        .select(['seq', 'hash'])
        .where('seq', '=', 4)
        .executeTakeFirstOrThrow();
      await ctx.store.db.updateTable('audit_head').set(last).where('id', '=', 1).execute();

      assert.deepEqual(await verifyAuditChain(ctx.store), { ok: true, checked: 4, events: 3 });
      const result = await verifyAuditChain(ctx.store, { expect: head });
      assert.equal(result.ok, false);
      assert.deepEqual(result.broken, {
        seq: 6,
        reason:
          'the expected head, record 6, is missing: the log ends at record 4 (records were removed)',
      });
    });

    it('catches a tail rewritten from before the expected record', async () => {
      await other(3);
      const head = await readAuditHead(ctx.store);
      await sql`delete from audit where seq >= 2`.execute(ctx.store.db);
      const first = await ctx.store.db
        .selectFrom('audit')
        .select(['seq', 'hash'])
        .executeTakeFirstOrThrow();
      await ctx.store.db.updateTable('audit_head').set(first).where('id', '=', 1).execute();
      await other(4); // a new, self-consistent tail over the removed records
      assert.equal((await verifyAuditChain(ctx.store)).ok, true);
      const result = await verifyAuditChain(ctx.store, { expect: head });
      assert.equal(result.broken?.seq, 3);
      assert.match(
        result.broken!.reason,
        /^record 3 is not the expected head 3:[0-9a-f]{64}: its hash is/,
      );
    });

    it('accepts the head of an empty chain and refuses any other hash at 0', async () => {
      assert.equal(
        (await verifyAuditChain(ctx.store, { expect: { seq: 0, hash: GENESIS_HASH } })).ok,
        true,
      );
      const result = await verifyAuditChain(ctx.store, {
        expect: { seq: 0, hash: 'f'.repeat(64) },
      });
      assert.equal(result.ok, false);
      assert.match(result.broken!.reason, /is not the start of this chain/);
    });
  });
});

import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachDatabase } from '../../testing/databases.js';
import { writeTransaction } from '../db/transaction.js';
import { appendAudit, verifyAuditChain } from './chain.js';

forEachDatabase('the audit chain', (ctx) => {
  async function record(count: number): Promise<void> {
    await writeTransaction(ctx.store, (trx) =>
      appendAudit(
        trx,
        Array.from({ length: count }, (_, i) => ({
          actor: 'test',
          action: 'event.applied',
          subject: `e${i}`,
          detail: { i },
        })),
      ),
    );
  }

  it('links each record to the one before it and verifies', async () => {
    await record(3);
    await record(2);
    const rows = await ctx.store.db.selectFrom('audit').selectAll().orderBy('seq').execute();
    assert.deepEqual(
      rows.map((r) => r.seq),
      [1, 2, 3, 4, 5],
    );
    for (let i = 1; i < rows.length; i += 1) assert.equal(rows[i]!.prev_hash, rows[i - 1]!.hash);
    assert.deepEqual(await verifyAuditChain(ctx.store), { ok: true, checked: 5, events: 0 });
  });

  it('fails verification after one record is altered in the database, naming it', async () => {
    await record(4);
    await sql`update audit set detail = '{"i":99}' where seq = 3`.execute(ctx.store.db);
    const result = await verifyAuditChain(ctx.store);
    assert.equal(result.ok, false);
    assert.deepEqual(result.broken, {
      seq: 3,
      reason: 'content does not match its hash (altered)',
    });
  });

  it('fails verification when the newest record is removed', async () => {
    await record(4);
    await sql`delete from audit where seq = 4`.execute(ctx.store.db);
    const result = await verifyAuditChain(ctx.store);
    assert.equal(result.ok, false);
    assert.match(
      result.broken!.reason,
      /chain head \(seq 4\) does not match the last record \(seq 3\)/,
    );
  });

  it('keeps one unbroken chain when many writers append at once', async () => {
    await Promise.all(Array.from({ length: 8 }, () => record(5)));
    assert.deepEqual(await verifyAuditChain(ctx.store), { ok: true, checked: 40, events: 0 });
  });
});

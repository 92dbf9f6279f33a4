import assert from 'node:assert/strict';
import { forEachDatabase } from '../../testing/databases.js';
import { GENESIS_HASH } from '../db/migrations.js';
import { writeTransaction } from '../db/transaction.js';
import { appendAudit } from './chain.js';
import { formatAuditHead, parseAuditHead, readAuditHead } from './head.js';

describe('the SEQ:HASH form of an audit head', () => {
  const hash = 'ab'.repeat(32);

  it('reads what it writes', () => {
    assert.deepEqual(parseAuditHead(formatAuditHead({ seq: 42, hash })), { seq: 42, hash });
  });

  it('accepts surrounding whitespace and upper-case hex (a copied line)', () => {
    assert.deepEqual(parseAuditHead(` 7:${hash.toUpperCase()}\n`), { seq: 7, hash });
  });

  for (const bad of [
    '',
    '42',
    `42:${hash.slice(1)}`,
    `-1:${hash}`,
    `x:${hash}`,
    `42:${'g'.repeat(64)}`,
  ]) {
    it(`refuses ${JSON.stringify(bad)} with ERR_INVALID_CONFIG saying the form`, () => {
      assert.throws(
        () => parseAuditHead(bad),
        (error: Error & { code?: string }) =>
          error.code === 'ERR_INVALID_CONFIG' &&
          /expected a head as "cds audit head" prints it, SEQ:HASH/.test(error.message),
      );
    });
  }
});

forEachDatabase('reading the audit head', (ctx) => {
  it('is 0 and the genesis hash for an empty chain, then the newest record', async () => {
    assert.deepEqual(await readAuditHead(ctx.store), { seq: 0, hash: GENESIS_HASH });
    const records = await writeTransaction(ctx.store, (trx) =>
      appendAudit(trx, [
        { actor: 'test', action: 'a', subject: 's1', detail: {} },
        { actor: 'test', action: 'a', subject: 's2', detail: {} },
      ]),
    );
    assert.deepEqual(await readAuditHead(ctx.store), { seq: 2, hash: records[1]!.hash });
  });
});

import assert from 'node:assert/strict';
import { forEachDatabase } from '../../testing/databases.js';
import { pruneTokens, recordToken } from './seen-tokens.js';

forEachDatabase('token ids seen by the ingest', (ctx) => {
  it('records a jti once and calls a second record within its window a replay', async () => {
    const now = 1_000_000;
    assert.equal(await recordToken(ctx.store.db, 'jti-1', now + 5_000, now), true);
    assert.equal(await recordToken(ctx.store.db, 'jti-1', now + 6_000, now + 1_000), false);
    assert.equal(await recordToken(ctx.store.db, 'jti-1', now + 20_000, now + 10_000), true);
  });

  it('prunes the ids whose window has passed and keeps the others', async () => {
    const now = 2_000_000;
    await recordToken(ctx.store.db, 'old', now - 1, now - 10_000);
    await recordToken(ctx.store.db, 'live', now + 60_000, now);
    assert.equal(await pruneTokens(ctx.store.db, now), 1);
    const left = await ctx.store.db.selectFrom('seen_tokens').select('jti').execute();
    assert.deepEqual(
      left.map((r) => r.jti),
      ['live'],
    );
  });
});

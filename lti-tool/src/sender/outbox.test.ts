import { strict as assert } from 'node:assert';
import { exampleEvent } from '@cds/shared';
import { openStore, type Store } from '@cds/relay';
import { createTestDatabase, TEST_DIALECTS, type TestDatabase } from '@cds/relay/testing';
import { CanvasOutbox } from './outbox.js';

for (const dialect of TEST_DIALECTS) {
  describe(`the Canvas outbox keeps what it has not sent (${dialect})`, function () {
    this.timeout(30_000);
    let database: TestDatabase;
    let store: Store;
    let outbox: CanvasOutbox;

    before(async () => {
      database = await createTestDatabase(dialect);
      store = await openStore(database.url);
      outbox = await CanvasOutbox.open(store);
    });
    after(async () => {
      await store?.close();
      await database?.dispose();
    });

    it('prunes only rows the relay took, and only past the age given', async () => {
      const [sent, waiting, refused] = [1, 2, 3].map((seq) => exampleEvent('grade', seq));
      await outbox.enqueue([sent!, waiting!, refused!], 'live_event');
      await outbox.settle([
        { id: sent!.id, state: 'done' },
        { id: refused!.id, state: 'rejected', reason: 'ERR_FORBIDDEN: not yours' },
      ]);
      assert.equal(await outbox.prune(60_000), 0, 'a row taken a moment ago is kept');
      assert.equal(await outbox.prune(-1), 1, 'past the age, only the done row goes');
      assert.deepEqual(await outbox.counts(), { pending: 1, done: 0, rejected: 1, parked: 0 });
    });
  });
}

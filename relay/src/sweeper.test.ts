// What the sweeper finds to re-queue, on an in-memory SQLite store, without Redis.
import assert from 'node:assert/strict';
import { exampleEvent, type SyncEvent } from '@cds/shared';
import { openStore, type Store } from './db/connect.js';
import { addDeliveries } from './store/deliveries.js';
import { logAccepted } from '../testing/events.js';
import { findLostWork } from './sweeper.js';
import { writeTransaction } from './db/transaction.js';

describe('the sweeper finding lost work (in-memory SQLite, no Redis)', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  const log = (at: number, ...events: SyncEvent[]) => logAccepted(store, events, at);

  it('finds idle accepted events of the queued tiers, oldest first, and not background ones', async () => {
    const grade = exampleEvent('grade', 1);
    const enrollment = exampleEvent('enrollment', 2);
    const post = exampleEvent('forum_post', 3);
    const recent = exampleEvent('grade', 4);
    await log(1_000, enrollment);
    await log(2_000, grade, post);
    await log(9_000, recent);
    const lost = await findLostWork(store, 5_000, 100);
    assert.deepEqual(lost.events, [
      { id: enrollment.id, tier: 'high' },
      { id: grade.id, tier: 'critical' },
    ]);
  });

  it('groups idle pending deliveries into one job per delivery id and target', async () => {
    await writeTransaction(store, (tx) =>
      addDeliveries(
        tx,
        [
          { eventId: 'e1', target: 'canvas', deliveryId: 'batch-1', tier: 'background' },
          { eventId: 'e2', target: 'canvas', deliveryId: 'batch-1', tier: 'background' },
          { eventId: 'e1', target: 'webhook-1', deliveryId: 'batch-1', tier: 'background' },
          { eventId: 'e3', target: 'canvas', deliveryId: 'e3', tier: 'critical' },
        ],
        1_000,
      ),
    );
    const lost = await findLostWork(store, 5_000, 100);
    const jobs = lost.deliveries
      .map((j) => `${j.deliveryId}.${j.target}:${j.tier}:${[...j.eventIds].sort().join(',')}`)
      .sort();
    assert.deepEqual(jobs, [
      'batch-1.canvas:background:e1,e2',
      'batch-1.webhook-1:background:e1',
      'e3.canvas:critical:e3',
    ]);
    assert.deepEqual((await findLostWork(store, 500, 100)).deliveries, [], 'nothing idle yet');
  });
});

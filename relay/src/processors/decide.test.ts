// The decision stage on an in-memory SQLite store, without Redis: states, routing, conflicts,
// idempotency and the audit records it writes.
import assert from 'node:assert/strict';
import {
  defaultMappings,
  DEFAULT_POLICIES,
  eventHash,
  exampleEvent,
  type SyncEvent,
} from '@cds/shared';
import { openStore, type Store } from '../db/connect.js';
import { logAccepted } from '../../testing/events.js';
import { decideEvents, type DecideDeps } from './decide.js';

describe('deciding logged events (in-memory SQLite, no Redis)', () => {
  let store: Store;
  let deps: DecideDeps;

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    deps = {
      store,
      mappings: defaultMappings(),
      policies: DEFAULT_POLICIES,
      targets: [
        { name: 'canvas', side: 'canvas' },
        { name: 'discourse', side: 'discourse' },
        { name: 'webhook-1' },
      ],
    };
  });
  afterEach(async () => {
    await store.close();
  });

  const log = (...events: SyncEvent[]) => logAccepted(store, events);

  const deliveriesOf = async (eventId: string) =>
    (
      await store.db
        .selectFrom('deliveries')
        .select('target')
        .where('event_id', '=', eventId)
        .orderBy('target')
        .execute()
    ).map((r) => r.target);

  it('applies a Canvas grade and routes it to Discourse and the observers, not back to Canvas', async () => {
    const grade = exampleEvent('grade', 1);
    const outcome = await decideEvents(deps, await log(grade));
    assert.deepEqual(
      outcome.decisions.map((d) => [d.action, d.state]),
      [['apply', 'delivering']],
    );
    assert.deepEqual(await deliveriesOf(grade.id), ['discourse', 'webhook-1']);
  });

  it('marks an event applied at once when no connector of its flows exists', async () => {
    deps.targets = [{ name: 'canvas', side: 'canvas' }];
    const grade = exampleEvent('grade', 2);
    const outcome = await decideEvents(deps, await log(grade));
    assert.equal(outcome.decisions[0]!.state, 'applied');
    assert.deepEqual(await deliveriesOf(grade.id), []);
  });

  it('decides an event once, however often its job runs', async () => {
    const ids = await log(exampleEvent('grade', 3));
    assert.equal((await decideEvents(deps, ids)).decisions.length, 1);
    assert.equal((await decideEvents(deps, ids)).decisions.length, 0);
    const audits = await store.db
      .selectFrom('audit')
      .select('action')
      .where('subject', '=', ids[0]!)
      .execute();
    assert.equal(audits.length, 1);
  });

  it('records the stored event hash in the decision audit record', async () => {
    const grade = exampleEvent('grade', 4);
    await decideEvents(deps, await log(grade));
    const record = await store.db
      .selectFrom('audit')
      .select('detail')
      .where('subject', '=', grade.id)
      .executeTakeFirstOrThrow();
    const row = await store.db
      .selectFrom('events')
      .select('body')
      .where('id', '=', grade.id)
      .executeTakeFirstOrThrow();
    assert.equal(
      (JSON.parse(record.detail) as { eventHash: string }).eventHash,
      eventHash(JSON.parse(row.body)),
    );
  });

  it('acknowledges a version its successor already dominates as stale', async () => {
    const first = exampleEvent('grade', 5, { vv: { canvas: 2 } });
    const older = { ...exampleEvent('grade', 5, { vv: { canvas: 1 } }), key: first.key };
    await decideEvents(deps, await log(first));
    const outcome = await decideEvents(deps, await log(older));
    assert.equal(outcome.decisions[0]!.state, 'stale');
    assert.deepEqual(await deliveriesOf(older.id), []);
  });

  it('sends concurrent content edits to the conflict queue', async () => {
    const canvasEdit = exampleEvent('content_edit', 6, { source: 'canvas' });
    const discourseEdit = {
      ...exampleEvent('content_edit', 6, { source: 'discourse' }),
      key: canvasEdit.key,
      payload: canvasEdit.payload,
    };
    await decideEvents(deps, await log(canvasEdit));
    const outcome = await decideEvents(deps, await log(discourseEdit));
    assert.equal(outcome.decisions[0]!.state, 'conflict');
    const conflicts = await store.db.selectFrom('conflicts').selectAll().execute();
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0]!.status, 'open');
  });

  it('seals a background batch with a Merkle root over its decisions', async () => {
    const posts = [1, 2, 3].map((i) => exampleEvent('forum_post', 10 + i));
    const outcome = await decideEvents(deps, await log(...posts), 'batch-1');
    assert.equal(outcome.seal?.count, 3);
    const seal = await store.db
      .selectFrom('audit')
      .select('detail')
      .where('action', '=', 'batch.sealed')
      .executeTakeFirstOrThrow();
    assert.equal((JSON.parse(seal.detail) as { root: string }).root, outcome.seal!.root);
    // Forum posts flow to Canvas only; these came from Discourse.
    assert.deepEqual(await deliveriesOf(posts[0]!.id), ['canvas', 'webhook-1']);
  });
});

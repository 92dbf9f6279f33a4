// The ingest path on an in-memory SQLite store, without Redis: what it logs, queues and refuses.
import assert from 'node:assert/strict';
import {
  defaultMappings,
  DEFAULT_POLICIES,
  exampleEvent,
  generateProducerKey,
  importSigner,
  KeyRing,
  ReplayGuard,
  signBatch,
  signEvent,
  type CdsError,
  type Signer,
  type SyncEvent,
} from '@cds/shared';
import { openStore, type Store } from '../db/connect.js';
import { ingest, ingestAuthentic, type IngestDeps } from './accept.js';
import { DISCOURSE_WEBHOOK_GRANT } from '../intake/discourse/router.js';
import { Replayed } from '@cds/shared';

describe('ingest (in-memory SQLite, no Redis)', () => {
  let store: Store;
  let canvas: Signer;
  let keys: KeyRing;
  let queued: SyncEvent[];
  let deps: IngestDeps;

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    const pair = await generateProducerKey('canvas', ['canvas', 'manual']);
    canvas = await importSigner(pair.privateJwk);
    keys = new KeyRing({ keys: [pair.publicJwk] });
    queued = [];
    deps = {
      keys,
      replay: new ReplayGuard({}),
      mappings: defaultMappings(),
      policies: DEFAULT_POLICIES,
      store,
      enqueue: async (events) => {
        queued.push(...events);
      },
    };
  });
  afterEach(async () => {
    await store.close();
  });

  const loggedIds = async () =>
    (await store.db.selectFrom('events').select('id').orderBy('id').execute()).map((r) => r.id);

  it('logs and queues a signed batch, critical and high events alike', async () => {
    const events = [exampleEvent('grade', 1), exampleEvent('enrollment', 2)];
    const outcome = await ingest(await signBatch(events, canvas), deps);
    assert.deepEqual(
      outcome.results.map((r) => r.status),
      ['accepted', 'accepted'],
    );
    assert.deepEqual(
      queued.map((e) => e.id),
      events.map((e) => e.id),
    );
    assert.deepEqual(await loggedIds(), events.map((e) => e.id).sort());
  });

  it('keeps a background event in the log for its batch and still hands it to enqueue', async () => {
    const post = exampleEvent('forum_post', 3, { source: 'canvas' });
    const outcome = await ingest(await signEvent(post, canvas), deps);
    assert.equal(outcome.results[0]!.status, 'accepted');
    assert.deepEqual(await loggedIds(), [post.id]);
    assert.deepEqual(
      queued.map((e) => e.id),
      [post.id],
      'the queues, not the ingest, decide that background waits',
    );
  });

  it('loses nothing when queueing fails: logged, and reported as not queued', async () => {
    deps.enqueue = async () => {
      throw new Error('Redis is down');
    };
    const grade = exampleEvent('grade', 4);
    const outcome = await ingest(await signEvent(grade, canvas), deps);
    assert.equal(outcome.queued, false);
    assert.deepEqual(await loggedIds(), [grade.id]);
  });

  it('refuses a replayed token, and leaves the token unrecorded when the log write fails', async () => {
    const token = await signEvent(exampleEvent('grade', 5), canvas);
    await store.db.schema.alterTable('events').renameTo('events_away').execute();
    await assert.rejects(ingest(token, deps), /events/);
    await store.db.schema.alterTable('events_away').renameTo('events').execute();
    assert.equal((await ingest(token, deps)).results[0]!.status, 'accepted');
    await assert.rejects(ingest(token, deps), (error: CdsError) => error.code === 'ERR_REPLAYED');
  });

  it('parks an unknown schema version, logged but not queued', async () => {
    const parked = { ...exampleEvent('grade', 6), schema: 'grade@v7' };
    const outcome = await ingest(await signEvent(parked, canvas), deps);
    assert.equal(outcome.results[0]!.status, 'parked');
    assert.deepEqual(queued, []);
    assert.deepEqual(await loggedIds(), [parked.id]);
  });

  it('answers a second copy of an event in one request as a duplicate', async () => {
    const grade = exampleEvent('grade', 7);
    const outcome = await ingest(await signBatch([grade, grade], canvas), deps);
    assert.deepEqual(
      outcome.results.map((r) => r.status),
      ['accepted', 'duplicate'],
    );
  });

  it('reports a refused request to onReport with its code', async () => {
    const reports: string[] = [];
    deps.onReport = (report) => reports.push(report.refused?.code ?? 'ok');
    await assert.rejects(ingest('not.a.token', deps));
    assert.deepEqual(reports, ['ERR_BAD_SIGNATURE']);
  });

  describe('ingestAuthentic (a Discourse webhook, authenticated by its HMAC)', () => {
    const claimOnce = () => {
      const seen = new Set<string>();
      return async () => {
        if (seen.has('once')) throw new Replayed('seen');
        seen.add('once');
      };
    };

    it('logs discourse events under the intake producer and queues them', async () => {
      const post = exampleEvent('forum_post', 4);
      const outcome = await ingestAuthentic(
        {
          grant: DISCOURSE_WEBHOOK_GRANT,
          producer: 'discourse-webhook',
          events: [post],
          claim: claimOnce(),
        },
        deps,
      );
      assert.equal(outcome.results[0]!.status, 'accepted');
      const row = await store.db
        .selectFrom('events')
        .select(['producer'])
        .executeTakeFirstOrThrow();
      assert.equal(row.producer, 'discourse-webhook');
      assert.deepEqual(
        queued.map((e) => e.id),
        [post.id],
      );
    });

    it('rejects an event of another source, as a key without that source', async () => {
      const grade = exampleEvent('grade', 5);
      assert.equal(grade.source, 'canvas');
      const outcome = await ingestAuthentic(
        {
          grant: DISCOURSE_WEBHOOK_GRANT,
          producer: 'discourse-webhook',
          events: [grade],
          claim: claimOnce(),
        },
        deps,
      );
      assert.equal(outcome.results[0]!.status, 'rejected');
      assert.equal((outcome.results[0] as { code: string }).code, 'ERR_FORBIDDEN');
      assert.match(
        (outcome.results[0] as { reason: string }).reason,
        /producer "discourse-webhook" may not send source "canvas"/,
      );
      assert.deepEqual(await loggedIds(), []);
    });

    it('writes nothing when the claim refuses the request (a seen event id)', async () => {
      const claim = claimOnce();
      const request = {
        grant: DISCOURSE_WEBHOOK_GRANT,
        producer: 'discourse-webhook',
        events: [exampleEvent('forum_post', 6)],
        claim,
      };
      await ingestAuthentic(request, deps);
      await store.db.deleteFrom('events').execute();
      await assert.rejects(ingestAuthentic(request, deps), /seen/);
      assert.deepEqual(await loggedIds(), []);
    });
  });
});

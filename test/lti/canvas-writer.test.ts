// The LTI tool's Canvas writer (POST /v1/deliveries) against the Canvas simulator, on both
// databases: relay-signed deliveries verified, grades published through AGS once however often a
// delivery is sent, the line item created when missing, Canvas's throttling answered 503 with
// Retry-After and the delivery applied once after, forged deliveries refused, an unknown student
// rejected alone with Canvas's reason, and forum posts as one participation score per student.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  exampleEvent,
  generateProducerKey,
  importSigner,
  type Delivery,
  type DeliveryItem,
} from '@cds/shared';
import { TEST_DIALECTS } from '@cds/relay/testing';
import { exampleDelivery } from '../connectors/conformance.js';
import {
  createTestDatabase,
  startWriterFixture,
  withForumLinks,
  type WriterFixture,
} from './canvas-writer-fixture.js';
import type { TestDatabase } from '@cds/relay/testing';

/** A local Canvas id as Live Events send it (a global id on shard 2107, as the examples use). */
const exampleCanvasId = (local: number, base = 0) =>
  String(21070000000000000n + BigInt(base + local));

/** One delivery carrying the items of several example deliveries. */
function combined(...deliveries: Delivery[]): Delivery {
  return {
    id: randomUUID(),
    tier: deliveries[0]!.tier,
    eventIds: deliveries.flatMap((d) => d.eventIds),
    items: deliveries.flatMap((d) => d.items),
  };
}

function gradeDelivery(seq: number, score: number, userId = exampleCanvasId(seq, 20000)): Delivery {
  const delivery = exampleDelivery('grade', seq);
  const item = delivery.items[0]!;
  const value: Record<string, unknown> = {
    ...(item.value as Record<string, unknown>),
    user_id: userId,
    score,
    grade: String(score),
  };
  return {
    ...delivery,
    items: [
      {
        ...item,
        key: `course:${String(value.course_id)}/user:${userId}/assignment:${String(value.assignment_id)}`,
        value,
      },
    ],
  };
}

for (const dialect of TEST_DIALECTS) {
  describe(`the Canvas writer, POST /v1/deliveries (${dialect})`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let f: WriterFixture;
    let syncedCourses: string[];

    /** The student's score on the tool's line item for the example assignment, as Canvas holds it. */
    const scoreOf = (userId: number): number | null | undefined => {
      const store = f.sim.lti!.store;
      const item = [...store.lineItems.values()].find(
        (i) => i.resourceId === 'canvas-assignment:355',
      );
      if (!item) return undefined;
      return f.sim.state.list(
        f.sim.state.submissions,
        (s) => s.assignment_id === item.assignmentId && s.user_id === userId,
      )[0]?.score;
    };

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      syncedCourses = [];
      f = await startWriterFixture({
        database,
        onSyncRequest: async (course) => void syncedCourses.push(course),
      });
    });
    afterEach(async () => {
      await f?.close();
      await database?.dispose();
    });

    it('publishes a participation grade through AGS, creating the line item, once when sent twice', async () => {
      const delivery = gradeDelivery(1, 8);
      assert.equal(f.sim.lti!.store.lineItems.size, 0);
      const first = await f.post(delivery);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { rejected: [] });
      const items = [...f.sim.lti!.store.lineItems.values()];
      assert.equal(items.length, 1);
      assert.equal(items[0]!.scoreMaximum, 10);
      assert.equal(scoreOf(20001), 8);
      const results = [...f.sim.lti!.store.results.values()];
      assert.equal(results.length, 1);
      assert.equal(results[0]!.gradingProgress, 'FullyGraded');

      const requestsBefore = f.sim.faults.requests;
      const again = await f.post(delivery);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { rejected: [] });
      assert.equal(
        f.sim.faults.requests,
        requestsBefore,
        'a repeated delivery writes nothing to Canvas',
      );
      assert.equal(f.sim.lti!.store.results.size, 1);
    });

    it('reuses the line item it created for the next grade of the assignment', async () => {
      assert.equal((await f.post(gradeDelivery(1, 7))).status, 200);
      assert.equal((await f.post(gradeDelivery(2, 9))).status, 200);
      assert.equal(f.sim.lti!.store.lineItems.size, 1);
      assert.equal(scoreOf(20001), 7);
      assert.equal(scoreOf(20002), 9);
    });

    it('answers 503 with Retry-After while Canvas throttles, then applies the delivery once', async () => {
      const delivery = gradeDelivery(1, 6);
      f.sim.throttle.fill();
      const throttled = await f.post(delivery);
      assert.equal(throttled.status, 503, JSON.stringify(throttled.body));
      assert.equal(throttled.retryAfter, '30');
      assert.match(JSON.stringify(throttled.body), /Rate Limit Exceeded/);
      assert.equal(scoreOf(20001) ?? null, null);
      f.sim.throttle.reset();
      const retried = await f.post(delivery);
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      assert.equal(scoreOf(20001), 6);
      assert.equal(f.sim.lti!.store.results.size, 1);
      assert.equal(f.sim.lti!.store.lineItems.size, 1);
    });

    it('answers 503 when Canvas fails, and does not write again what an earlier attempt wrote', async () => {
      const delivery = combined(gradeDelivery(1, 5), gradeDelivery(2, 4));
      const ok = await f.post(combined(gradeDelivery(3, 3))); // warms the line item and token
      assert.equal(ok.status, 200);
      const before = f.sim.faults.requests;
      // First score goes through, then every request fails.
      const first = await fetchThenBreak(f, delivery);
      assert.equal(first.status, 503);
      assert.equal(scoreOf(20001), 5);
      assert.equal(scoreOf(20002) ?? null, null);
      f.sim.faults.clear();
      const scoresBefore = f.sim.faults.requests;
      const retried = await f.post(delivery);
      assert.equal(retried.status, 200);
      assert.equal(scoreOf(20002), 4);
      // Only the second student's score was sent on the retry.
      assert.equal(f.sim.faults.requests - scoresBefore, 1);
      assert.ok(f.sim.faults.requests > before);
    });

    it('refuses a forged, expired or mismatched delivery with the reason, writing nothing', async () => {
      const stranger = await importSigner(
        (await generateProducerKey('cds-relay', ['manual'])).privateJwk,
        'cds-relay',
      );
      const forged = await f.post(gradeDelivery(1, 10), { signer: stranger });
      assert.equal(forged.status, 401);
      assert.match(JSON.stringify(forged.body), /ERR_UNKNOWN_KEY|ERR_BAD_SIGNATURE/);
      const expired = await f.post(gradeDelivery(1, 10), { now: Date.now() - 3_600_000 });
      assert.equal(expired.status, 401);
      assert.match(JSON.stringify(expired.body), /ERR_EXPIRED/);
      const mismatched = await f.post(gradeDelivery(1, 10), { idempotencyKey: randomUUID() });
      assert.equal(mismatched.status, 400);
      assert.match(JSON.stringify(mismatched.body), /does not match the Idempotency-Key/);
      assert.equal(f.sim.lti!.store.results.size, 0);
      assert.equal(f.sim.faults.requests, 0);
    });

    it('rejects an event for a user Canvas does not know, alone and with the reason', async () => {
      const known = gradeDelivery(1, 9);
      const unknown = gradeDelivery(2, 9, exampleCanvasId(29999));
      const answer = await f.post(combined(known, unknown));
      assert.equal(answer.status, 200);
      const { rejected } = answer.body as { rejected: Array<{ eventId: string; reason: string }> };
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]!.eventId, unknown.eventIds[0]);
      assert.match(rejected[0]!.reason, /User not found in course or is not a student/);
      assert.equal(scoreOf(20001), 9);
    });

    it('rejects entities Canvas has no write for, with the reason', async () => {
      const badge = exampleDelivery('badge', 2);
      const answer = await f.post(badge);
      assert.equal(answer.status, 200);
      assert.match(JSON.stringify(answer.body), /badge cannot be written to Canvas/);
    });

    it('takes "Sync now" requests as one back-fill per course, once however often sent', async () => {
      const requests = [1, 1, 2].map((seq, i) => {
        const event = exampleEvent('sync_request', seq, {
          source: 'manual',
          vv: { manual: i + 1 },
        });
        return {
          eventId: event.id,
          source: event.source,
          entity: 'sync_request' as const,
          key: event.key,
          op: 'upsert' as const,
          value: event.payload,
        };
      });
      const delivery: Delivery = {
        id: randomUUID(),
        tier: 'high',
        eventIds: requests.map((r) => r.eventId),
        items: requests,
      };
      const answer = await f.post(delivery);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, { rejected: [] });
      const courses = requests.map((r) => (r.value as { course_id: string }).course_id);
      assert.deepEqual(syncedCourses, [courses[0], courses[2]]);
      assert.equal((await f.post(delivery)).status, 200);
      assert.equal(syncedCourses.length, 2, 'a repeated delivery triggers nothing again');
    });

    it('turns a batch of forum posts into one participation score per student and course', async () => {
      const posts = [1, 6, 11, 2].map((seq) => exampleEvent('forum_post', seq));
      // The course and user of each post come from the links the relay resolved (item.links).
      const items: DeliveryItem[] = posts.map((e) =>
        withForumLinks({
          eventId: e.id,
          source: e.source,
          entity: 'forum_post',
          key: e.key,
          op: 'upsert',
          value: e.payload,
        }),
      );
      const delivery: Delivery = {
        id: randomUUID(),
        tier: 'background',
        eventIds: posts.map((e) => e.id),
        items,
      };
      const answer = await f.post(delivery);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, { rejected: [] });
      const item = [...f.sim.lti!.store.lineItems.values()].find(
        (i) => i.label === 'Forum participation',
      );
      assert.ok(item, 'the Forum participation line item is created');
      const scoreOfUser = (userId: number) =>
        f.sim.state.list(
          f.sim.state.submissions,
          (s) => s.assignment_id === item.assignmentId && s.user_id === userId,
        )[0]?.score;
      // seq 1, 6, 11 are user 1001 (-> Canvas 20001), seq 2 is user 1002 (-> 20002).
      assert.equal(scoreOfUser(20001), 3);
      assert.equal(scoreOfUser(20002), 1);
      assert.equal(f.sim.lti!.store.results.size, 2);
    });

    it('refuses a forum post whose delivery carries no link for its category or author, saying which', async () => {
      const [linked, strayCategory, strayAuthor, bare] = [3, 4, 8, 9].map((seq) =>
        exampleEvent('forum_post', seq),
      );
      const item = (e: typeof linked, value = e!.payload): DeliveryItem =>
        withForumLinks({
          eventId: e!.id,
          source: e!.source,
          entity: 'forum_post',
          key: e!.key,
          op: 'upsert',
          value,
        });
      const items = [
        item(linked),
        item(strayCategory, { ...strayCategory!.payload, category_id: 99 }),
        item(strayAuthor, { ...strayAuthor!.payload, user_id: 4242, username: 'stranger' }),
        { ...item(bare), links: undefined },
      ];
      const answer = await f.post({
        id: randomUUID(),
        tier: 'background',
        eventIds: items.map((i) => i.eventId),
        items,
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const rejected = (answer.body as { rejected: Array<{ eventId: string; reason: string }> })
        .rejected;
      assert.deepEqual(
        rejected.map((r) => r.eventId),
        [strayCategory!.id, strayAuthor!.id, bare!.id],
      );
      assert.match(rejected[0]!.reason, /Discourse category 99 is not linked to a Canvas course/);
      assert.match(rejected[1]!.reason, /Discourse user 4242 is not linked to a Canvas user/);
      assert.match(rejected[2]!.reason, /Discourse category 12 is not linked/);
      const participation = [...f.sim.lti!.store.lineItems.values()].find(
        (i) => i.label === 'Forum participation',
      );
      assert.ok(participation, 'the linked post still counts');
    });
  });
}

/**
 * Sends a two-grade delivery while Canvas answers the first score and fails every request after
 * it: the simulator's fault injection counts requests, so let the first through.
 */
async function fetchThenBreak(f: WriterFixture, delivery: Delivery) {
  // The writer's line item and token are cached: the first score is the next request.
  const breakAfterFirst = f.sim.state.changes;
  const onChange = () => {
    f.sim.faults.inject(502, 1000);
    breakAfterFirst.off('change', onChange);
  };
  breakAfterFirst.on('change', onChange);
  try {
    return await f.post(delivery);
  } finally {
    breakAfterFirst.off('change', onChange);
  }
}

// The Discourse connector against the Discourse simulator: the connector conformance suite, then
// what it writes (badges once, course groups, the per-user sync state, refusals of one event,
// 429s), then through a real relay on SQLite and PostgreSQL.
//
// The connector writes only through the links an item carries (`item.links`, DESIGN.md section
// 3b): items given to it directly get them from `withLinks`, which answers as the relay's resolver
// would: the seeded accounts by external id, each course's forum as a course link makes it.
//
// The suite drives its receiver's failures through `mode`; a thin front server in front of the
// simulator plays them (answers `status` to every request, hangs, or lets a write through and then
// loses the answer) and passes everything else on. Writes carry the event's id (X-Cds-Event-Id):
// `requests` lists them, `refuse` answers an event's write with Discourse's own 422 error body,
// and `appliedCount` counts the writes that changed what Discourse shows (user badges, group
// members, user fields), so a repeated grant or an equal state write counts nothing. Events the
// connector settles without any write (a failed quiz, a trigger, an entity it does not write)
// count once when their delivery returns, as the LTI tool's receiver counts them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  certificateExample,
  enrollmentExample,
  exampleEvent,
  type Delivery,
  type DeliveryItem,
  type EntityType,
  type ItemLinks,
  type SyncEvent,
} from '@cds/shared';
import { loadConfig } from '@cds/relay';
import { TEST_DIALECTS } from '@cds/relay/testing';
import type { Connector } from '../../relay/src/connectors/connector.js';
import {
  DiscourseConnector,
  courseGroupName,
} from '../../relay/src/connectors/discourse/connector.js';
import { SYNC_STATE_FIELD } from '../../relay/src/connectors/discourse/mapping.js';
import { LinkService } from '../../relay/src/links/service.js';
import * as m from '../sim/discourse/mutations.js';
import { startDiscourseSimulator, type DiscourseSimulator } from '../sim/discourse/server.js';
import {
  failureAnswer,
  startFront,
  type Front,
  type FrontAnswer,
} from '../support/failure-front.js';
import { RelayHarness } from '../support/relay-harness.js';
import type { TargetMode } from '../support/target-server.js';
import { connectorConformance, exampleDelivery, type ConformanceReceiver } from './conformance.js';

/** The Canvas id of example student `seq` (exampleCanvasId(seq, 20000) in @cds/shared). */
const exampleCanvasId = (seq: number, base: number) =>
  String(21070000000000000n + BigInt(base + seq));

/** Students 1..20 of the examples, linked by external id = their Canvas id (DESIGN.md 3b). */
const LINKED = 20;

async function simulator(): Promise<DiscourseSimulator> {
  // Far above the suite's pace: the rate limit is tested on its own below.
  const sim = await startDiscourseSimulator({ rateLimits: { adminApiPerMinute: 100_000 } });
  // What the plugin's register_editable_user_custom_field(:cds_sync_state, staff_only: true) does.
  sim.state.editableUserCustomFields.staff.add(SYNC_STATE_FIELD);
  for (let seq = 1; seq <= LINKED; seq += 1) {
    m.createUser(sim.state, {
      username: `student${seq}`,
      name: `Seeded ${seq}`,
      external_id: exampleCanvasId(seq, 20000),
    });
  }
  return sim;
}

function connectorFor(sim: { url: string; apiKey: string }, timeoutMs = 5_000): DiscourseConnector {
  return new DiscourseConnector({
    url: sim.url,
    apiKey: sim.apiKey,
    apiUsername: 'system',
    timeoutMs,
  });
}

/** What Discourse shows for users: their badges, groups and fields (not badge or group records). */
function shown(sim: DiscourseSimulator): string {
  const s = sim.state;
  return JSON.stringify([
    [...s.userBadges.values()].map((ub) => [ub.badge_id, ub.user_id]),
    s.groupMembers.map((gm) => [gm.group_id, gm.user_id]),
    [...s.users.values()].map((u) => [u.id, u.name, u.custom_fields ?? {}]),
  ]);
}

/** The course's forum as a course link makes it: a category and the `course-<id>` group. */
function courseForum(sim: DiscourseSimulator, courseId: string): NonNullable<ItemLinks['course']> {
  const name = courseGroupName(courseId);
  const group = sim.state.groupByName(name) ?? m.createGroup(sim.state, { name });
  const title = `Course ${courseId}`;
  const category =
    [...sim.state.categories.values()].find((c) => c.name === title) ??
    m.createCategory(sim.state, { name: title });
  return { course_id: courseId, category_id: category.id, group_id: group.id, group_name: name };
}

/**
 * `item` with the links the relay would give it: the account whose external id is the Canvas user
 * (none for an unseeded student: the item goes without, and the connector refuses it), the
 * course's forum.
 */
function withLinks(sim: DiscourseSimulator, item: DeliveryItem): DeliveryItem {
  const links: ItemLinks = {};
  for (const need of connectorFor(sim).needs(item)) {
    if (need.kind === 'course') links.course = courseForum(sim, need.courseId);
    if (need.kind !== 'user') continue;
    const user = [...sim.state.users.values()].find((u) => u.external_id === need.canvasUserId);
    if (user)
      links.user = {
        canvas_user_id: need.canvasUserId,
        discourse_user_id: user.id,
        discourse_username: user.username,
      };
  }
  return Object.keys(links).length > 0 ? { ...item, links } : item;
}

class SimulatorReceiver implements ConformanceReceiver {
  mode: TargetMode = { kind: 'ok' };
  readonly appliedCount = new Map<string, number>();
  readonly requests: string[] = [];
  readonly refuse = new Map<string, string>();
  /** Events that sent a write, and events already counted as settled without one. */
  readonly wrote = new Set<string>();
  readonly settled = new Set<string>();
  sim?: DiscourseSimulator;
  private front?: Front;

  async start(): Promise<string> {
    this.sim = await simulator();
    this.front = await startFront((req, body) => this.handle(req, body));
    return this.front.url;
  }

  private async handle(req: IncomingMessage, body: Buffer): Promise<FrontAnswer> {
    const eventId = req.headers['x-cds-event-id'];
    const write = req.method !== 'GET' && typeof eventId === 'string';
    if (write) {
      this.requests.push(String(req.headers['x-cds-delivery-id']));
      this.wrote.add(eventId);
    }
    const mode = this.mode;
    const failed = failureAnswer(mode);
    if (failed) return failed;
    const reason = write ? this.refuse.get(eventId) : undefined;
    if (reason !== undefined) {
      // render_json_error: what Discourse answers a write it will not take.
      return {
        status: 422,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errors: [reason], error_type: 'invalid_parameters' }),
      };
    }
    const before = shown(this.sim!);
    const headers: Record<string, string> = {};
    for (const name of ['api-key', 'api-username', 'content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const response = await fetch(`${this.sim!.url}${req.url}`, {
      method: req.method,
      headers,
      body: body.length ? body : undefined,
    });
    const text = await response.text();
    if (write && shown(this.sim!) !== before)
      this.appliedCount.set(eventId, (this.appliedCount.get(eventId) ?? 0) + 1);
    if (write && mode.kind === 'apply-then-fail') return { status: mode.status };
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'retry-after']) {
      const value = response.headers.get(name);
      if (value) out[name] = value;
    }
    return { status: response.status, headers: out, body: text };
  }

  /** Counts the events a delivery settled without writing anything, once each. */
  settle(delivery: Delivery): void {
    for (const id of delivery.eventIds) {
      if (this.wrote.has(id) || this.settled.has(id) || this.refuse.has(id)) continue;
      this.settled.add(id);
      this.appliedCount.set(id, (this.appliedCount.get(id) ?? 0) + 1);
    }
  }

  async stop(): Promise<void> {
    const front = this.front;
    this.front = undefined;
    await front?.close();
    await this.sim?.close();
  }
}

let receiver: SimulatorReceiver | undefined;
connectorConformance('the Discourse connector on the Discourse simulator', {
  receiver() {
    receiver = new SimulatorReceiver();
    return receiver;
  },
  connector(url, { timeoutMs }): Connector {
    const connector = connectorFor({ url, apiKey: receiver?.sim?.apiKey ?? 'none' }, timeoutMs);
    const counting = receiver;
    return {
      name: connector.name,
      side: connector.side,
      mapping: connector.mapping,
      async deliver(delivery) {
        const sim = counting?.sim;
        const linked = sim
          ? { ...delivery, items: delivery.items.map((item) => withLinks(sim, item)) }
          : delivery;
        const outcome = await connector.deliver(linked);
        counting?.settle(delivery);
        return outcome;
      },
    };
  },
});

/** The conformance suite's example certificate of student 1, with its links. */
function linkedExample(sim: DiscourseSimulator): Delivery {
  const delivery = exampleDelivery('certificate', 1);
  return { ...delivery, items: delivery.items.map((item) => withLinks(sim, item)) };
}

/** A delivery of these events, in order, as the relay builds one (without links). */
function unlinkedDeliveryOf(...events: SyncEvent[]): Delivery {
  return {
    id: randomUUID(),
    tier: 'critical',
    eventIds: events.map((e) => e.id),
    items: events.map((e) => ({
      eventId: e.id,
      source: e.source,
      entity: e.entity,
      key: e.key,
      op: e.op,
      value: e.payload,
    })),
  };
}

function eventOf(entity: EntityType, payload: Record<string, unknown>, seq = 1): SyncEvent {
  return { ...exampleEvent(entity, seq), payload };
}

describe('the Discourse connector', function () {
  this.timeout(20_000);
  let sim: DiscourseSimulator;
  let connector: DiscourseConnector;
  beforeEach(async () => {
    sim = await simulator();
    connector = connectorFor(sim);
  });
  afterEach(async () => {
    await sim.close();
  });

  /** A delivery of these events, in order, each item with the links the relay gives it. */
  const deliveryOf = (...events: SyncEvent[]): Delivery => {
    const delivery = unlinkedDeliveryOf(...events);
    return { ...delivery, items: delivery.items.map((item) => withLinks(sim, item)) };
  };

  const userBadgesOf = (username: string) => {
    const user = sim.state.userByUsername(username)!;
    return [...sim.state.userBadges.values()].filter((ub) => ub.user_id === user.id);
  };

  it('grants a certificate as a badge once, however often it is delivered', async () => {
    const certificate = exampleEvent('certificate', 3);
    const delivery = deliveryOf(certificate);
    for (let i = 0; i < 2; i += 1) {
      const outcome = await connector.deliver(delivery);
      assert.equal(outcome.refused.size, 0);
    }
    // A second delivery of the same certificate by a fresh connector (no remembered ids).
    await connectorFor(sim).deliver(deliveryOf({ ...certificate, id: randomUUID() }));
    const badges = [...sim.state.badges.values()].filter((b) => b.name.includes('certificate'));
    assert.deepEqual(
      badges.map((b) => [b.name, b.multiple_grant, b.badge_type_id]),
      [['Computer Science I: certificate of completion (course 565)', false, 1]],
    );
    const grants = userBadgesOf('student3');
    assert.deepEqual(
      grants.map((ub) => [ub.badge_id, ub.reason]),
      [[badges[0]!.id, null]],
    );
  });

  it('uses one badge per course certificate for every student who earns it', async () => {
    await connector.deliver(
      deliveryOf(exampleEvent('certificate', 1), exampleEvent('certificate', 2)),
    );
    assert.equal(sim.state.badges.size, 1);
    assert.equal(userBadgesOf('student1').length, 1);
    assert.equal(userBadgesOf('student2').length, 1);
  });

  it('revokes the badge of a revoked certificate', async () => {
    const issued = exampleEvent('certificate', 4);
    await connector.deliver(deliveryOf(issued));
    assert.equal(userBadgesOf('student4').length, 1);
    const revoked = eventOf('certificate', { ...certificateExample(4), revoked: true }, 4);
    const outcome = await connector.deliver(deliveryOf(revoked));
    assert.equal(outcome.refused.size, 0);
    assert.equal(userBadgesOf('student4').length, 0);
  });

  it('grants a passed quiz and leaves a failed one alone', async () => {
    // examples: seq 20 scores 70 (passed), seq 2 scores 52 (failed)
    const outcome = await connector.deliver(
      deliveryOf(exampleEvent('exam_result', 20), exampleEvent('exam_result', 2)),
    );
    assert.equal(outcome.refused.size, 0);
    assert.equal(userBadgesOf('student20').length, 1);
    assert.equal(userBadgesOf('student2').length, 0);
    assert.match([...sim.state.badges.values()][0]!.name, /^Passed quiz \d+ \(course 565\)$/);
  });

  it("adds an enrolled student to the course link's group, once, and removes a deleted enrollment", async () => {
    const enrollment = exampleEvent('enrollment', 7);
    await connector.deliver(deliveryOf(enrollment));
    await connector.deliver(deliveryOf({ ...enrollment, id: randomUUID() }));
    const course = enrollmentExample(7).course_id;
    const group = sim.state.groupByName(courseGroupName(course))!;
    assert.ok(group, `group ${courseGroupName(course)}`);
    assert.ok(group.name.length <= 20, group.name);
    assert.deepEqual(
      sim.state.membersOf(group.id).map((u) => u.username),
      ['student7'],
    );
    const deleted = eventOf(
      'enrollment',
      { ...enrollmentExample(7), workflow_state: 'deleted' },
      7,
    );
    const outcome = await connector.deliver(deliveryOf(deleted));
    assert.equal(outcome.refused.size, 0);
    assert.deepEqual(sim.state.membersOf(group.id), []);
    assert.equal(sim.state.groups.size, 1);
  });

  it('writes the sync state of a grade and a submission to the user field the plugin shows', async () => {
    const grade = exampleEvent('grade', 5);
    await connector.deliver(deliveryOf(grade));
    const state = JSON.parse(
      sim.state.userByUsername('student5')!.custom_fields![SYNC_STATE_FIELD]!,
    );
    assert.deepEqual(
      { entity: state.entity, key: state.key, summary: state.summary, event_id: state.event_id },
      { entity: 'grade', key: grade.key, summary: '9 / 10', event_id: grade.id },
    );
    const submission = exampleEvent('assignment_submission', 5);
    await connector.deliver(deliveryOf(submission));
    const after = JSON.parse(
      sim.state.userByUsername('student5')!.custom_fields![SYNC_STATE_FIELD]!,
    );
    assert.equal(after.summary, 'submitted (late)');
  });

  it('refuses an item without the link it needs alone, the reason naming the link', async () => {
    const unlinked = exampleEvent('certificate', LINKED + 1);
    const linked = exampleEvent('certificate', 6);
    const outcome = await connector.deliver(deliveryOf(unlinked, linked));
    assert.deepEqual(
      [...outcome.refused],
      [
        [
          unlinked.id,
          `Canvas user ${exampleCanvasId(LINKED + 1, 20000)} is not linked to a Discourse account`,
        ],
      ],
    );
    assert.equal(userBadgesOf('student6').length, 1);
    // An enrollment given its user's link but not its course's: refused, naming the course.
    const enrollment = deliveryOf(exampleEvent('enrollment', 6));
    const course = enrollmentExample(6).course_id;
    const noCourse = enrollment.items.map(({ links, ...item }) => ({
      ...item,
      links: { user: links!.user },
    }));
    const refused = await connector.deliver({ ...enrollment, items: noCourse });
    assert.deepEqual(
      [...refused.refused.values()],
      [`Canvas course ${course} is not linked to a Discourse group`],
    );
    assert.deepEqual(sim.state.membersOf(sim.state.groupByName(courseGroupName(course))!.id), []);
  });

  it("writes to the linked account, whatever the account's external id says", async () => {
    // A link made by self-service: student7's account, not the one whose external id matches.
    const grade = exampleEvent('grade', 7);
    const [item] = deliveryOf(grade).items;
    const other = sim.state.userByUsername('student8')!;
    const outcome = await connector.deliver({
      ...deliveryOf(grade),
      items: [
        {
          ...item!,
          links: {
            user: {
              canvas_user_id: item!.links!.user!.canvas_user_id,
              discourse_user_id: other.id,
              discourse_username: other.username,
            },
          },
        },
      ],
    });
    assert.equal(outcome.refused.size, 0);
    assert.ok(other.custom_fields?.[SYNC_STATE_FIELD], 'the linked account has the sync state');
    assert.equal(
      sim.state.userByUsername('student7')!.custom_fields?.[SYNC_STATE_FIELD],
      undefined,
    );
  });

  it("refuses an event Discourse will not take with Discourse's error text", async () => {
    const certificate = exampleEvent('certificate', 8);
    await connector.deliver(deliveryOf(certificate));
    // An admin deletes the badge: the remembered id is gone, a grant of it is Discourse's 404,
    // a refusal of that event alone.
    const badge = [...sim.state.badges.values()][0]!;
    sim.state.badges.delete(badge.id);
    const outcome = await connector.deliver(deliveryOf(exampleEvent('certificate', 9)));
    assert.deepEqual(
      [...outcome.refused.values()],
      ['The requested URL or resource could not be found.'],
    );
    // The next attempt finds the badge missing and creates it again.
    const again = await connector.deliver(deliveryOf(exampleEvent('certificate', 9)));
    assert.equal(again.refused.size, 0);
    assert.equal(userBadgesOf('student9').length, 1);
  });

  it("honours Discourse's 429 with its Retry-After, and applies the delivery once when retried", async () => {
    const delivery = deliveryOf(exampleEvent('certificate', 10));
    sim.limiter.force(1, 17);
    await assert.rejects(connector.deliver(delivery), (error: Error & Record<string, unknown>) => {
      assert.equal(error.code, 'ERR_TARGET');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 17_000);
      assert.match(error.message, /HTTP 429/);
      return true;
    });
    await connector.deliver(delivery);
    assert.equal(userBadgesOf('student10').length, 1);
  });

  it("reaches its rate limit like any client: Discourse's own limit answers 429", async () => {
    await sim.close();
    sim = await startDiscourseSimulator({ rateLimits: { adminApiPerMinute: 2 } });
    m.createUser(sim.state, { username: 'student1', external_id: exampleCanvasId(1, 20000) });
    const error = await connectorFor(sim)
      .deliver(linkedExample(sim))
      .then(
        () => undefined,
        (e: unknown) => e as Error & Record<string, unknown>,
      );
    assert.ok(error, 'the third request is over the limit');
    assert.equal(error.retryable, true);
    assert.ok((error.retryAfterMs as number) > 0, `${String(error.retryAfterMs)} ms`);
  });

  it('treats a wrong API key as a failure of the whole delivery, not of its events', async () => {
    const wrong = new DiscourseConnector({
      url: sim.url,
      apiKey: 'x'.repeat(64),
      apiUsername: 'system',
    });
    await assert.rejects(
      wrong.deliver(linkedExample(sim)),
      (error: Error & Record<string, unknown>) => {
        assert.equal(error.retryable, false);
        assert.match(error.message, /HTTP 403/);
        return true;
      },
    );
  });
});

describe('the Discourse connector settings', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'sqlite::memory:' };
  it('reads DISCOURSE_API_KEY, DISCOURSE_API_USERNAME (system) and DISCOURSE_EXTERNAL_ID', () => {
    const config = loadConfig({
      ...base,
      DISCOURSE_URL: 'https://forum.example.edu',
      DISCOURSE_API_KEY: 'k',
    });
    assert.deepEqual(
      [config.discourseApiKey, config.discourseApiUsername, config.discourseExternalId],
      ['k', 'system', 'canvas_user_id'],
    );
  });
  it('takes the Canvas identifiers an external id may hold, and refuses others naming the setting', () => {
    for (const field of ['sis_user_id', 'login_id', 'lti_sub', 'none'])
      assert.equal(
        loadConfig({ ...base, DISCOURSE_EXTERNAL_ID: field }).discourseExternalId,
        field,
      );
    assert.throws(
      () => loadConfig({ ...base, DISCOURSE_EXTERNAL_ID: 'email' }),
      /DISCOURSE_EXTERNAL_ID: must be one of canvas_user_id, sis_user_id, login_id, lti_sub, none/,
    );
  });
});

for (const dialect of TEST_DIALECTS) {
  describe(`the Discourse connector in the relay (${dialect})`, function () {
    this.timeout(30_000);
    let sim: DiscourseSimulator;
    let harness: RelayHarness;
    beforeEach(async () => {
      sim = await simulator();
      // Built from the settings, as `pnpm start` builds it.
      harness = await new RelayHarness({
        dialect,
        env: { DISCOURSE_URL: sim.url, DISCOURSE_API_KEY: sim.apiKey },
      }).start();
    });
    afterEach(async () => {
      await harness?.stop();
      await sim?.close();
    });

    async function settled(ids: string[]): Promise<Map<string, string>> {
      for (;;) {
        const rows = await harness.relay.store.db
          .selectFrom('events')
          .select(['id', 'state'])
          .where('id', 'in', ids)
          .execute();
        if (
          rows.length === ids.length &&
          rows.every((r) => !['accepted', 'delivering'].includes(r.state))
        )
          return new Map(rows.map((r) => [r.id, r.state]));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('turns a certificate into a badge granted once, even when sent twice', async () => {
      const certificate = exampleEvent('certificate', 11);
      const responses = await harness.send([certificate, certificate]);
      assert.ok(
        responses.every((r) => r.status >= 200 && r.status < 300),
        JSON.stringify(responses),
      );
      assert.deepEqual(await settled([certificate.id]), new Map([[certificate.id, 'applied']]));
      const user = sim.state.userByUsername('student11')!;
      const grants = [...sim.state.userBadges.values()].filter((ub) => ub.user_id === user.id);
      assert.equal(grants.length, 1);
    });

    it("holds only the unlinked user's event, as 'pending: user not linked', and applies the rest", async () => {
      // The course is linked to its forum first (an instructor's first launch does it).
      const course = enrollmentExample(12).course_id;
      const forum = courseForum(sim, course);
      await new LinkService(harness.relay.store, harness.relay.queues).linkCourse(
        {
          courseId: course,
          categoryId: forum.category_id,
          categoryName: `Course ${course}`,
          groupId: forum.group_id,
          groupName: forum.group_name,
          method: 'admin',
        },
        'test',
      );
      const unlinked = exampleEvent('enrollment', LINKED + 2);
      const linked = exampleEvent('enrollment', 12);
      await harness.send([unlinked, linked]);
      const states = await settled([unlinked.id, linked.id]);
      assert.deepEqual([states.get(unlinked.id), states.get(linked.id)], ['waiting', 'applied']);
      const [held] = await harness.relay.store.db
        .selectFrom('events')
        .select(['reason'])
        .where('id', '=', unlinked.id)
        .execute();
      assert.match(
        held!.reason ?? '',
        /^pending: user not linked \(no Discourse account has external_id/,
      );
      const dead = await harness.relay.store.db.selectFrom('dead_letters').selectAll().execute();
      assert.deepEqual(dead, [], 'waiting is not failing');
      assert.deepEqual(
        sim.state.membersOf(forum.group_id).map((u) => u.username),
        ['student12'],
      );
    });
  });
}

// The Canvas writer's REST half against the Canvas simulator, on both databases: content_edit
// deliveries written to course pages (Pages API) and announcements (Discussion Topics API) once
// however often sent, a page Canvas lacks created (and refused with Canvas's reason when the
// token may not), profile deliveries writing only the Discourse-owned fields Canvas stores (bio,
// title, avatar) and never the name, Canvas's throttling answered 503 + Retry-After and applied
// once after, and without CANVAS_API_TOKEN both refused with a reason naming the setting.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Delivery, DeliveryItem, EntityType } from '@cds/shared';
import { TEST_DIALECTS, type TestDatabase } from '@cds/relay/testing';
import { WriterStore } from '../../lti-tool/src/writer/index.js';
import { createDiscussionTopic, updateWikiPage } from '../sim/canvas/mutations.js';
import { globalId, type CanvasChange } from '../sim/canvas/state.js';
import {
  ADMIN,
  COURSE,
  createTestDatabase,
  startWriterFixture,
  type WriterFixture,
} from './canvas-writer-fixture.js';

type Rejected = Array<{ eventId: string; reason: string }>;

function delivery(
  entity: EntityType,
  key: string,
  value: Record<string, unknown> | null,
  op: 'upsert' | 'delete' = 'upsert',
): Delivery {
  const item: DeliveryItem = {
    eventId: randomUUID(),
    source: 'discourse',
    entity,
    key,
    op,
    value,
  };
  return { id: randomUUID(), tier: 'background', eventIds: [item.eventId], items: [item] };
}

/** A content_edit for a Canvas page or announcement, keyed with global ids as the relay keys it. */
function contentEdit(
  type: 'page' | 'announcement',
  contentId: number,
  title: string,
  body: string,
  course = COURSE,
): Delivery {
  const value = {
    origin: 'discourse',
    course_id: globalId(course),
    content_type: type,
    content_id: globalId(contentId),
    discourse_topic_id: 901,
    title,
    body_html: body,
    updated_at: '2026-03-02T10:00:00.000Z',
    edited_by: 'prof_lee',
  };
  return delivery('content_edit', `course:${value.course_id}/${type}:${value.content_id}`, value);
}

function profile(user: number, fields: Record<string, unknown>): Delivery {
  return delivery('profile', `user:${globalId(user)}`, {
    canvas_user_id: globalId(user),
    ...fields,
  });
}

for (const dialect of TEST_DIALECTS) {
  describe(`the Canvas writer's REST writes: pages, announcements, profiles (${dialect})`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let f: WriterFixture;
    let changes: CanvasChange[];
    const named = (name: string) => changes.filter((c) => c.eventName === name);
    /** A page of the course, as a teacher writes it in Canvas. */
    const coursePage = (title: string, body: string) =>
      updateWikiPage(f.sim.state, { courseId: COURSE, title, body });

    async function start(canvasApiToken: boolean) {
      database = await createTestDatabase(dialect);
      f = await startWriterFixture({ database, canvasApiToken });
      changes = [];
      f.sim.state.changes.on('change', (c) => void changes.push(c));
    }
    afterEach(async () => {
      await f?.close();
      await database?.dispose();
    });

    /** The outcomes the writer kept for a delivery's events (notes of applied events included). */
    async function outcomes(d: Delivery) {
      const store = await WriterStore.open(database.url);
      try {
        return await store.outcomes(d.id);
      } finally {
        await store.close();
      }
    }

    describe('with CANVAS_API_TOKEN', () => {
      beforeEach(() => start(true));

      it('writes a page edit to the Canvas page once, however often it is delivered', async () => {
        const page = coursePage('Week 1 reading', '<p>Chapter 1</p>');
        changes.length = 0;
        const edit = contentEdit('page', page.id, 'Week 1 reading (revised)', '<p>Chapter 2</p>');
        const first = await f.post(edit);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.deepEqual(first.body, { rejected: [] });
        assert.equal(f.sim.state.wikiPages.get(page.id)!.title, 'Week 1 reading (revised)');
        assert.equal(f.sim.state.wikiPages.get(page.id)!.body, '<p>Chapter 2</p>');
        assert.equal(named('wiki_page_updated').length, 1);
        assert.equal(f.sim.state.wikiPages.size, 1);

        const requests = f.sim.faults.requests;
        const again = await f.post(edit);
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, { rejected: [] });
        assert.equal(f.sim.faults.requests, requests, 'a repeated delivery writes nothing');

        // The same content in another delivery: read, found equal, not written again.
        const same = contentEdit('page', page.id, 'Week 1 reading (revised)', '<p>Chapter 2</p>');
        assert.deepEqual((await f.post(same)).body, { rejected: [] });
        assert.equal(named('wiki_page_updated').length, 1);
        const kept = await outcomes(same);
        assert.match(
          JSON.stringify([...kept.values()]),
          /already has this title and body: nothing written/,
        );
      });

      it('creates a page Canvas does not have, and sends later edits of it to that page', async () => {
        const missing = 99_999;
        const first = await f.post(contentEdit('page', missing, 'Office hours', '<p>Tue 2pm</p>'));
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.deepEqual(first.body, { rejected: [] });
        const pages = f.sim.state.list(f.sim.state.wikiPages);
        assert.equal(pages.length, 1);
        assert.equal(pages[0]!.title, 'Office hours');
        assert.equal(pages[0]!.body, '<p>Tue 2pm</p>');
        assert.equal(pages[0]!.url, 'office-hours');
        assert.equal(named('wiki_page_created').length, 1);

        const later = contentEdit('page', missing, 'Office hours', '<p>Wed 3pm</p>');
        assert.deepEqual((await f.post(later)).body, { rejected: [] });
        assert.equal(f.sim.state.wikiPages.size, 1, 'the page made before is updated');
        assert.equal(pages[0]!.body, '<p>Wed 3pm</p>');
      });

      it("refuses a page it may not create with Canvas's reason", async () => {
        f.sim.state.accountAdmins.delete(ADMIN);
        const edit = contentEdit('page', 99_998, 'Office hours', '<p>Tue 2pm</p>');
        const answer = await f.post(edit);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const { rejected } = answer.body as { rejected: Rejected };
        assert.equal(rejected.length, 1);
        assert.equal(rejected[0]!.eventId, edit.eventIds[0]);
        assert.match(
          rejected[0]!.reason,
          /POST .*\/pages: user not authorized to perform that action/,
        );
        assert.equal(f.sim.state.wikiPages.size, 0);
      });

      it('writes an announcement edit, and refuses one Canvas does not have', async () => {
        const topic = createDiscussionTopic(f.sim.state, {
          courseId: COURSE,
          title: 'Welcome',
          message: '<p>Hello</p>',
          isAnnouncement: true,
        });
        const answer = await f.post(
          contentEdit('announcement', topic.id, 'Welcome back', '<p>Hello again</p>'),
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(answer.body, { rejected: [] });
        assert.equal(topic.title, 'Welcome back');
        assert.equal(topic.message, '<p>Hello again</p>');
        assert.equal(named('discussion_topic_updated').length, 1);

        const unknown = await f.post(contentEdit('announcement', 77_777, 'Gone', '<p>x</p>'));
        const { rejected } = unknown.body as { rejected: Rejected };
        assert.equal(rejected.length, 1);
        assert.match(rejected[0]!.reason, /Canvas has no announcement 77777 in course 565/);
      });

      it('refuses deleting a page or announcement, with the reason', async () => {
        const answer = await f.post(
          delivery(
            'content_edit',
            `course:${globalId(COURSE)}/page:${globalId(5)}`,
            null,
            'delete',
          ),
        );
        const { rejected } = answer.body as { rejected: Rejected };
        assert.match(rejected[0]!.reason, /does not delete Canvas pages/);
      });

      it('writes only the Discourse-owned profile fields Canvas stores, never the name', async () => {
        const user = f.sim.state.users.get(20001)!;
        const d = profile(20001, {
          name: 'Someone Else',
          short_name: 'Else',
          bio_raw: 'Second-year student; I like graph algorithms.',
          title: 'Teaching assistant',
          avatar_url: 'https://forum.example.edu/user_avatar/forum/ada/240/1_2.png',
          website: 'https://ada.example.edu',
          location: 'Denver',
        });
        const answer = await f.post(d);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(answer.body, { rejected: [] });
        assert.equal(user.bio, 'Second-year student; I like graph algorithms.');
        assert.equal(user.title, 'Teaching assistant');
        assert.equal(
          user.avatar_url,
          'https://forum.example.edu/user_avatar/forum/ada/240/1_2.png',
        );
        assert.equal(user.name, 'Ada Student 20001', 'the name belongs to Canvas');
        assert.equal(user.short_name, 'Ada');
        const [outcome] = [...(await outcomes(d)).values()];
        assert.deepEqual(outcome, {
          outcome: 'applied',
          note: 'Canvas has no field for website, location: skipped',
        });
      });

      it("refuses a profile with Canvas's reason when the account has profiles off", async () => {
        f.sim.state.enableProfiles = false;
        const answer = await f.post(profile(20002, { bio_raw: 'Hello' }));
        const { rejected } = answer.body as { rejected: Rejected };
        assert.equal(rejected.length, 1);
        assert.match(rejected[0]!.reason, /user not authorized to perform that action/);
        assert.equal(f.sim.state.users.get(20002)!.bio ?? null, null);
      });

      it('answers 503 with Retry-After while Canvas throttles, then writes once', async () => {
        const page = coursePage('Syllabus', '<p>v1</p>');
        changes.length = 0;
        const edit = contentEdit('page', page.id, 'Syllabus', '<p>v2</p>');
        f.sim.throttle.fill();
        const throttled = await f.post(edit);
        assert.equal(throttled.status, 503, JSON.stringify(throttled.body));
        assert.equal(throttled.retryAfter, '30');
        assert.match(JSON.stringify(throttled.body), /Rate Limit Exceeded/);
        assert.equal(page.body, '<p>v1</p>');
        f.sim.throttle.reset();
        const retried = await f.post(edit);
        assert.equal(retried.status, 200, JSON.stringify(retried.body));
        assert.deepEqual(retried.body, { rejected: [] });
        assert.equal(page.body, '<p>v2</p>');
        assert.equal(named('wiki_page_updated').length, 1);
        assert.equal((await f.post(edit)).status, 200);
        assert.equal(named('wiki_page_updated').length, 1);
      });
    });

    describe('without CANVAS_API_TOKEN', () => {
      beforeEach(() => start(false));

      it('refuses page edits and profiles with a reason naming CANVAS_API_TOKEN', async () => {
        const page = coursePage('A', '<p>a</p>');
        const edit = contentEdit('page', page.id, 'B', '<p>b</p>');
        const person = profile(20001, { bio_raw: 'Hi' });
        for (const d of [edit, person]) {
          const answer = await f.post(d);
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          const { rejected } = answer.body as { rejected: Rejected };
          assert.equal(rejected.length, 1);
          assert.equal(rejected[0]!.eventId, d.eventIds[0]);
          assert.match(rejected[0]!.reason, /cannot be written to Canvas: .*CANVAS_API_TOKEN/);
        }
        assert.equal(page.title, 'A');
        assert.equal(f.sim.state.users.get(20001)!.bio ?? null, null);
      });
    });
  });
}

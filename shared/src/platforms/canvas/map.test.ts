import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareHlc } from '../../clock/hlc.js';
import { compareVectors } from '../../clock/version-vector.js';
import { isCdsError } from '../../errors.js';
import { parseSyncEvent, type SyncEvent } from '../../events/sync-event.js';
import { defaultMappings } from '../../mappings/registry.js';
import { deterministicUuidV7 } from './ids.js';
import type { CanvasLookup, CanvasQuizSubmission } from './lookup.js';
import { CANVAS_MAPPED_EVENTS, mapCanvasLiveEvent, type CanvasMapOptions } from './map.js';

type Json = Record<string, unknown>;
interface Payload {
  metadata: Json;
  body: Json;
}

/** Live Event samples from the Canvas documentation, kept beside the repository. */
const REFERENCE_DIR = fileURLToPath(
  new URL('../../../../../shared/reference/canvas-lms/live-events/', import.meta.url),
);
function referenceExamples(file: string): Payload[] {
  const doc = JSON.parse(readFileSync(`${REFERENCE_DIR}${file}`, 'utf8')) as {
    examples: { payload: Payload }[];
  };
  return doc.examples.map((example) => example.payload);
}
const reference = (name: string): Payload => referenceExamples(`${name}.json`)[0]!;

/** A user-generated Live Event in course 21070000000000565 (the grade_change sample's metadata). */
function liveEvent(name: string, body: Json, metadata: Json = {}): Payload {
  return {
    metadata: { ...reference('grade_change').metadata, event_name: name, ...metadata },
    body,
  };
}

/** RFC 9562 UUIDv7, as shared/src/events/sync-event.ts checks it. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const registry = defaultMappings();

async function mapped(input: unknown, options?: CanvasMapOptions): Promise<SyncEvent[]> {
  const result = await mapCanvasLiveEvent(input, options);
  assert.ok('events' in result, `expected events, got skipped: ${JSON.stringify(result)}`);
  for (const event of result.events) {
    parseSyncEvent(event);
    registry.toCanonical(event); // payload schema and key check, as the relay's ingest does
  }
  return result.events;
}

async function skipped(input: unknown, options?: CanvasMapOptions): Promise<string> {
  const result = await mapCanvasLiveEvent(input, options);
  assert.ok('skipped' in result, `expected skipped, got ${JSON.stringify(result)}`);
  return result.skipped;
}

async function rejects(input: unknown, message: RegExp, options?: CanvasMapOptions) {
  await assert.rejects(mapCanvasLiveEvent(input, options), (error: unknown) => {
    assert.ok(isCdsError(error), String(error));
    assert.equal(error.code, 'ERR_INVALID_EVENT');
    assert.match(error.message, message);
    return true;
  });
}

/** A Canvas that answers the Quiz Submissions and Pages APIs from memory, counting calls. */
function cannedCanvas(
  quizSubmission?: CanvasQuizSubmission,
  page?: { title: string; body: string | null },
): CanvasLookup & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    quizSubmission(ref) {
      calls.push(ref);
      return Promise.resolve(quizSubmission);
    },
    wikiPage(ref) {
      calls.push(ref);
      return Promise.resolve(page);
    },
  };
}

const quizSubmission: CanvasQuizSubmission = {
  id: 13995723,
  quiz_id: 2223333,
  user_id: 987123,
  attempt: 2,
  score: 7,
  kept_score: 8,
  quiz_points_possible: 10,
  workflow_state: 'complete',
  finished_at: '2019-11-01T19:11:33Z',
};
const quizSubmitted = liveEvent('quiz_submitted', {
  quiz_id: '21070000002223333',
  submission_id: '21070000013995723',
});

describe('mapping Canvas Live Events to SyncEvents', () => {
  describe('the reference examples (../shared/reference/canvas-lms/live-events)', () => {
    it('maps every example: valid SyncEvents of source canvas, or a reason', async () => {
      const files = readdirSync(REFERENCE_DIR).filter((f) => f.endsWith('.json'));
      assert.ok(files.length >= 5, `only ${files.length} reference files`);
      const outcomes: string[] = [];
      for (const file of files) {
        for (const payload of referenceExamples(file)) {
          const result = await mapCanvasLiveEvent(payload, { certificateCourses: ['565'] });
          if ('skipped' in result) {
            assert.match(result.skipped, /\S/);
            outcomes.push(`${payload.metadata.event_name} -> skipped`);
            continue;
          }
          for (const event of result.events) {
            assert.equal(event.source, 'canvas');
            assert.equal(registry.toCanonical(parseSyncEvent(event)).key, event.key);
          }
          const entities = result.events.map((e) => e.entity).join(', ');
          outcomes.push(`${payload.metadata.event_name} -> ${entities}`);
        }
      }
      assert.deepEqual(outcomes.sort(), [
        'asset_accessed -> skipped',
        'course_completed -> course_completion, certificate',
        'enrollment_created -> enrollment',
        'enrollment_state_updated -> skipped',
        'grade_change -> grade',
        'grade_change -> grade',
        // The documented sample has no Course context (real Canvas sends one): see below.
        'submission_created -> skipped',
        'user_created -> skipped',
      ]);
    });

    it('grade_change: the course from metadata.context_id, the student from student_id', async () => {
      const [grade] = await mapped(reference('grade_change'));
      assert.equal(
        grade!.key,
        'course:21070000000000565/user:21070000000000048/assignment:21070000000000355',
      );
      assert.deepEqual(grade!.payload, {
        course_id: '21070000000000565',
        assignment_id: '21070000000000355',
        user_id: '21070000000000048',
        submission_id: '21070000000011086',
        score: 5,
        points_possible: 1,
        grade: '5',
        grading_complete: true,
        muted: false,
        grader_id: '21070000000000987',
        graded_at: '2019-11-01T19:11:05.222Z',
      });
      // The metadata sample's body.user_id differs from its student_id: the student wins.
      const [system] = await mapped(referenceExamples('metadata.excerpt.json')[0]);
      assert.equal(system!.payload.user_id, '21070000000000048');
    });

    it('submission_created: skipped without a course, mapped with one', async () => {
      const sample = reference('submission_created');
      assert.match(await skipped(sample), /"submission_created" names no course .*Course context/);
      const [submission] = await mapped(sample, { defaultCourseId: '565' });
      assert.equal(submission!.entity, 'assignment_submission');
      assert.equal(
        submission!.key,
        'course:565/user:21070000000014012/submission:21070000012345567',
      );
      assert.equal(submission!.payload.submission_type, 'online_text_entry');
    });
  });

  describe('each mapped event', () => {
    it('submission_updated in a course is an assignment_submission', async () => {
      const body = { ...reference('submission_created').body, workflow_state: 'graded', url: null };
      const [event] = await mapped(liveEvent('submission_updated', body));
      assert.equal(event!.payload.course_id, '21070000000000565');
      assert.equal(event!.payload.workflow_state, 'graded');
      assert.equal(event!.payload.url, null);
    });

    it('quiz_submitted is an exam_result with the score from the Quiz Submissions API', async () => {
      const canvas = cannedCanvas(quizSubmission);
      const [result] = await mapped(quizSubmitted, { lookup: canvas });
      assert.deepEqual(canvas.calls, [
        {
          courseId: '21070000000000565',
          quizId: '21070000002223333',
          quizSubmissionId: '21070000013995723',
        },
      ]);
      assert.equal(result!.entity, 'exam_result');
      assert.equal(result!.key, 'course:21070000000000565/user:987123/quiz:21070000002223333');
      assert.equal(result!.payload.kept_score, 8);
      assert.equal(result!.payload.quiz_submission_id, '21070000013995723');
      assert.equal(result!.payload.passed, true, 'kept 8/10 reaches the default 0.7');
      const [strict] = await mapped(quizSubmitted, { lookup: canvas, examPassFraction: 0.9 });
      assert.equal(strict!.payload.passed, false);
    });

    it('quiz_submitted is skipped, saying what is needed, when nothing can look the score up', async () => {
      assert.match(await skipped(quizSubmitted), /carries no score: .*Quiz Submissions API/);
      assert.match(
        await skipped(quizSubmitted, { lookup: cannedCanvas(undefined) }),
        /quiz submission 21070000013995723 .* is not in Canvas \(404\)/,
      );
      const preview = cannedCanvas({ ...quizSubmission, workflow_state: 'preview' });
      assert.match(
        await skipped(quizSubmitted, { lookup: preview }),
        /"preview", not a finished attempt/,
      );
    });

    it('a quiz submission of the wrong shape from the lookup is ERR_MALFORMED', async () => {
      const broken = cannedCanvas({ ...quizSubmission, score: '7' as unknown as number });
      await assert.rejects(
        mapCanvasLiveEvent(quizSubmitted, { lookup: broken }),
        (error: unknown) => {
          assert.ok(isCdsError(error));
          assert.equal(error.code, 'ERR_MALFORMED');
          assert.match(error.message, /quiz submission 21070000013995723 .*score/);
          return true;
        },
      );
    });

    it('enrollment_updated is an enrollment; the test student is skipped', async () => {
      const body = { ...reference('enrollment_created').body, workflow_state: 'active' };
      const [enrollment] = await mapped(liveEvent('enrollment_updated', body));
      assert.equal(enrollment!.key, 'course:21070000000000565/enrollment:21070000000046825');
      assert.equal(enrollment!.payload.workflow_state, 'active');
      const testStudent = liveEvent('enrollment_updated', {
        ...body,
        type: 'StudentViewEnrollment',
      });
      assert.match(await skipped(testStudent), /test student \(StudentViewEnrollment\)/);
    });

    it('user_updated is a profile change of the fields Canvas owns', async () => {
      const body = {
        user_id: '21070000000025999',
        name: 'Ada Lovelace',
        short_name: 'Ada',
        uuid: 'kDfqdZrVWAxrI6RmFBNqipEGKozQR0sYolwPfsvM',
        workflow_state: 'registered',
        // Malformed in Canvas's own documented sample; the mapping does not read it.
        updated_at: '019-11-01T19:11:01.163Z',
      };
      const [profile] = await mapped(liveEvent('user_updated', body));
      assert.equal(profile!.key, 'user:21070000000025999');
      assert.deepEqual(profile!.payload, {
        canvas_user_id: '21070000000025999',
        name: 'Ada Lovelace',
        short_name: 'Ada',
      });
      const nameless = liveEvent('user_updated', { user_id: '7', name: null });
      assert.match(await skipped(nameless), /none of the profile fields Canvas owns/);
    });

    it('wiki_page_updated is a content_edit of the page, in its course', async () => {
      const body = {
        wiki_page_id: '21070000000000009',
        title: 'Week 1 reading',
        body: '<p>Read chapter 1</p>',
        old_title: 'Week 1',
        old_body: '<p>Read</p>',
      };
      const [edit] = await mapped(liveEvent('wiki_page_updated', body));
      assert.equal(edit!.key, 'course:21070000000000565/page:21070000000000009');
      assert.equal(edit!.payload.body_html, '<p>Read chapter 1</p>');
      assert.equal(edit!.payload.edited_by, '21070000000000987');
      assert.equal(edit!.payload.updated_at, '2019-11-01T19:11:05.222Z');
      // A course import runs as a job: no Course context, no user.
      const job = { event_name: 'wiki_page_updated', event_time: '2019-11-01T19:11:25.788Z' };
      assert.match(await skipped({ metadata: job, body }), /names no course/);
      const [imported] = await mapped(
        { metadata: { ...job, job_tag: 'ContentMigration#import_content' }, body },
        { defaultCourseId: '565' },
      );
      assert.equal(imported!.payload.edited_by, 'job:ContentMigration#import_content');
    });

    it('a page body Canvas may have truncated is fetched whole, or skipped', async () => {
      const long = `<p>${'x'.repeat(8189)}`; // 8192 characters: where Canvas cuts
      const event = liveEvent('wiki_page_updated', {
        wiki_page_id: '21070000000000009',
        title: 'Long page',
        body: long,
      });
      assert.match(await skipped(event), /may be truncated by Canvas .*Pages API/);
      const whole = `${long}<p>the end</p>`;
      const canvas = cannedCanvas(undefined, { title: 'Long page', body: whole });
      const [edit] = await mapped(event, { lookup: canvas });
      assert.equal(edit!.payload.body_html, whole);
      assert.deepEqual(canvas.calls, [
        { courseId: '21070000000000565', pageId: '21070000000000009' },
      ]);
    });

    it('course_completed issues a certificate only for the courses that issue one', async () => {
      const sample = reference('course_completed');
      const plain = await mapped(sample);
      assert.deepEqual(
        plain.map((e) => [e.entity, e.key]),
        [['course_completion', 'completion:21070000000000565/user:21070000000000123']],
      );
      // The body's local ids are keyed globally (the root account's shard), as other events key them.
      assert.equal((plain[0]!.payload.course as { id: string }).id, '21070000000000565');
      // An admin may list the course by its local id or its global one.
      for (const id of ['565', '21070000000000565']) {
        const events = await mapped(sample, { certificateCourses: [id] });
        assert.deepEqual(
          events.map((e) => e.entity),
          ['course_completion', 'certificate'],
        );
        const certificate = events[1]!;
        assert.equal(
          certificate.key,
          'course:21070000000000565/user:21070000000000123/certificate:canvas-completion-21070000000000565-21070000000000123',
        );
        assert.equal(certificate.payload.issued_at, '2019-11-05T13:38:00.218Z');
        assert.equal(certificate.payload.title, 'Certificate of completion: Computer Science I');
      }
      assert.equal((await mapped(sample, { certificateCourses: ['566'] })).length, 1);
    });

    it('covers every event the issue names', () => {
      assert.deepEqual(Object.keys(CANVAS_MAPPED_EVENTS).sort(), [
        'course_completed',
        'enrollment_created',
        'enrollment_updated',
        'grade_change',
        'quiz_submitted',
        'submission_created',
        'submission_updated',
        'user_updated',
        'wiki_page_updated',
      ]);
    });
  });

  describe('events with no sync entity', () => {
    for (const name of [
      'asset_accessed',
      'logged_in',
      'course_grade_change',
      'wiki_page_deleted',
    ]) {
      it(`skips ${name}, naming it`, async () => {
        assert.equal(
          await skipped(liveEvent(name, { anything: 1 })),
          `no sync entity for Live Event "${name}"`,
        );
      });
    }
  });

  describe('malformed input', () => {
    it('throws ERR_INVALID_EVENT when the input is not {metadata, body}', async () => {
      for (const input of [null, 'grade_change', [reference('grade_change')], 42])
        await rejects(input, /must be a JSON object \{metadata, body\}/);
      await rejects({ body: {} }, /metadata: /);
      await rejects({ metadata: reference('grade_change').metadata }, /body: /);
      await rejects(
        {
          sensor: 'https://example.edu/sensor',
          sendTime: '2019-11-01T00:00:00Z',
          dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p1',
          data: [],
        },
        /Caliper event: choose the "Canvas" format/,
      );
    });

    it('names a missing event_name or a bad event_time', async () => {
      const { event_name: _name, ...nameless } = reference('grade_change').metadata;
      await rejects({ metadata: nameless, body: {} }, /metadata\.event_name/);
      await rejects(
        liveEvent('grade_change', {}, { event_time: 'yesterday' }),
        /metadata\.event_time/,
      );
    });

    it('names each body field of the wrong type', async () => {
      const { body } = reference('grade_change');
      await rejects(
        liveEvent('grade_change', { ...body, score: '5', user_id: 48 }),
        /invalid grade_change body: .*body\.user_id: .*body\.score: /s,
      );
      await rejects(
        liveEvent('course_completed', { ...reference('course_completed').body, user: { id: 123 } }),
        /body\.user\.id/,
      );
    });

    it('a body that is well typed but outside the payload schema names the entity', async () => {
      const body = { ...reference('enrollment_created').body, type: 'AuditorEnrollment' };
      await rejects(liveEvent('enrollment_updated', body), /does not fit enrollment@v1: type: /);
    });
  });

  describe('ids, version vectors and clocks', () => {
    it('the same Live Event maps to the same ids, a different one to different ids', async () => {
      const sample = reference('course_completed');
      const options = { certificateCourses: ['565'] };
      const first = await mapped(sample, options);
      const again = await mapped(structuredClone(sample), options);
      assert.deepEqual(again, first);
      assert.notEqual(first[0]!.id, first[1]!.id);
      const changed = structuredClone(sample);
      changed.body.progress = { ...(changed.body.progress as Json), requirement_count: 7 };
      assert.notEqual((await mapped(changed, options))[0]!.id, first[0]!.id);
      // Key order does not matter: the body is hashed in canonical form.
      const reordered = { body: sample.body, metadata: sample.metadata };
      assert.equal((await mapped(reordered, options))[0]!.id, first[0]!.id);
    });

    it('an id is a UUIDv7 whose time is the change time', async () => {
      for (const name of ['grade_change', 'enrollment_created', 'course_completed']) {
        const sample = reference(name);
        for (const event of await mapped(sample)) {
          assert.match(event.id, UUID_V7);
          const ms = parseInt(event.id.replace(/-/g, '').slice(0, 12), 16);
          assert.equal(ms, Date.parse(sample.metadata.event_time as string));
          assert.deepEqual(event.vv, { canvas: ms });
          assert.deepEqual(event.hlc, { wall: ms, counter: 0, node: 'canvas' });
        }
      }
    });

    it('a later change of the same entity dominates an earlier one', async () => {
      const sample = reference('grade_change');
      const [earlier] = await mapped(sample);
      const later = structuredClone(sample);
      later.metadata.event_time = '2019-11-01T19:11:05.223Z';
      later.body.score = 1;
      const [newer] = await mapped(later);
      assert.equal(newer!.key, earlier!.key);
      assert.equal(compareVectors(newer!.vv, earlier!.vv), 'dominates');
      assert.equal(compareHlc(newer!.hlc, earlier!.hlc), 1);
      assert.ok(newer!.id > earlier!.id, 'UUIDv7 ids sort by change time');
    });

    it('deterministicUuidV7 sets the version and variant bits at the edges of its time range', () => {
      for (const time of [0, 1, Date.UTC(2026, 0, 1), 2 ** 48 - 1]) {
        for (const seed of ['', 'a', 'grade_change\ncourse:1/user:2/assignment:3\n{}']) {
          const id = deterministicUuidV7(time, seed);
          assert.match(id, UUID_V7);
          assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), time);
          assert.equal(deterministicUuidV7(time, seed), id);
        }
      }
      assert.throws(() => deterministicUuidV7(2 ** 48, 'x'), /48-bit/);
      assert.throws(() => deterministicUuidV7(-1, 'x'), /48-bit/);
    });
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENTITY_TYPES } from '../entity.js';
import { exampleEvent } from '../examples.js';
import { defaultMappings } from '../../mappings/registry.js';
import { EXAMPLE_V1, KEY_OF_V1, PAYLOAD_SCHEMAS_V1 } from './index.js';

/** Live Event samples from the Canvas documentation, kept beside the repository. */
function liveEvent(name: string): {
  metadata: Record<string, unknown>;
  body: Record<string, unknown>;
} {
  const file = fileURLToPath(
    new URL(`../../../../../shared/reference/canvas-lms/live-events/${name}.json`, import.meta.url),
  );
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    examples: { payload: { metadata: Record<string, unknown>; body: Record<string, unknown> } }[];
  };
  return doc.examples[0]!.payload;
}

describe('v1 payload schemas', () => {
  it('every entity has a schema, a key function and an example that its schema accepts', () => {
    for (const entity of ENTITY_TYPES) {
      for (const seq of [1, 2, 3]) {
        const result = PAYLOAD_SCHEMAS_V1[entity].safeParse(EXAMPLE_V1[entity](seq));
        assert.ok(result.success, `${entity} example ${seq}: ${result.error?.message}`);
      }
    }
  });

  it('keys are distinct per example and across entities', () => {
    const seen = new Map<string, string>();
    for (const entity of ENTITY_TYPES) {
      for (let seq = 1; seq <= 50; seq++) {
        const keyOf = KEY_OF_V1[entity] as (p: unknown) => string;
        const key = keyOf(EXAMPLE_V1[entity](seq));
        assert.equal(seen.get(key), undefined, `${entity} #${seq} reuses key ${key}`);
        seen.set(key, `${entity} #${seq}`);
      }
    }
    assert.equal(seen.size, ENTITY_TYPES.length * 50);
  });

  it('example events pass the mapping registry (schema, canonical form, key check)', () => {
    const registry = defaultMappings();
    for (const entity of ENTITY_TYPES) {
      const canonical = registry.toCanonical(exampleEvent(entity, 4));
      assert.equal(canonical.schema, `${entity}@v1`);
    }
  });

  it('a missing required field is named in the error', () => {
    const { score: _score, ...withoutScore } = EXAMPLE_V1.grade(1);
    const result = PAYLOAD_SCHEMAS_V1.grade.safeParse(withoutScore);
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues[0]!.path, ['score']);
  });

  it('Canvas ids must be digit strings and Discourse ids integers', () => {
    assert.equal(
      PAYLOAD_SCHEMAS_V1.grade.safeParse({ ...EXAMPLE_V1.grade(1), user_id: 42 }).success,
      false,
    );
    assert.equal(
      PAYLOAD_SCHEMAS_V1.forum_post.safeParse({ ...EXAMPLE_V1.forum_post(1), topic_id: '800' })
        .success,
      false,
    );
  });

  it('a profile change must carry at least one profile field, and no unknown ones', () => {
    assert.equal(PAYLOAD_SCHEMAS_V1.profile.safeParse({ canvas_user_id: '7' }).success, false);
    assert.equal(
      PAYLOAD_SCHEMAS_V1.profile.safeParse({ canvas_user_id: '7', shoe_size: 44 }).success,
      false,
    );
    assert.equal(
      PAYLOAD_SCHEMAS_V1.profile.safeParse({ canvas_user_id: '7', bio_raw: 'hi' }).success,
      true,
    );
  });

  describe('Canvas Live Event bodies (../shared/reference)', () => {
    it('course_completed body is a course_completion payload as is', () => {
      const { body } = liveEvent('course_completed');
      const parsed = PAYLOAD_SCHEMAS_V1.course_completion.parse(body);
      assert.equal(KEY_OF_V1.course_completion(parsed), 'completion:565/user:123');
    });

    it('enrollment_created body is an enrollment payload as is', () => {
      const { body } = liveEvent('enrollment_created');
      const parsed = PAYLOAD_SCHEMAS_V1.enrollment.parse(body);
      assert.equal(parsed.type, 'StudentEnrollment');
      assert.equal(parsed.associated_user_id, '21070000000000562');
    });

    it('grade_change body plus the course from its metadata is a grade payload', () => {
      const { metadata, body } = liveEvent('grade_change');
      const parsed = PAYLOAD_SCHEMAS_V1.grade.parse({ ...body, course_id: metadata.context_id });
      assert.equal(parsed.score, 5);
      assert.equal(parsed.grade, '5');
    });

    it('submission_created body plus the course is an assignment_submission payload', () => {
      const { body } = liveEvent('submission_created');
      const parsed = PAYLOAD_SCHEMAS_V1.assignment_submission.parse({ ...body, course_id: '565' });
      assert.equal(parsed.submission_type, 'online_text_entry');
    });
  });
});

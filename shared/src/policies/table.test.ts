import assert from 'node:assert/strict';
import { ENTITY_TYPES } from '../events/entity.js';
import { DEFAULT_POLICIES, flowsFor, resolvePolicies } from './table.js';

describe('the policy table flows', () => {
  it('says where each entity goes, as DESIGN.md section 3 does', () => {
    const flows = Object.fromEntries(ENTITY_TYPES.map((e) => [e, DEFAULT_POLICIES[e].flows]));
    assert.deepEqual(flows, {
      grade: ['canvas', 'discourse'],
      exam_result: ['discourse'],
      certificate: ['discourse'],
      course_completion: ['discourse'],
      badge: ['canvas', 'discourse'],
      assignment_submission: ['discourse'],
      enrollment: ['discourse'],
      forum_post: ['canvas'],
      profile: ['canvas', 'discourse'],
      content_edit: ['canvas', 'discourse'],
      sync_request: ['canvas', 'discourse'],
    });
  });

  it('never sends an event back to the side it came from', () => {
    assert.deepEqual(flowsFor(DEFAULT_POLICIES.grade, 'canvas'), ['discourse']);
    assert.deepEqual(flowsFor(DEFAULT_POLICIES.grade, 'discourse'), ['canvas']);
    assert.deepEqual(flowsFor(DEFAULT_POLICIES.forum_post, 'discourse'), ['canvas']);
    assert.deepEqual(flowsFor(DEFAULT_POLICIES.badge, 'discourse'), ['canvas']);
    assert.deepEqual(flowsFor(DEFAULT_POLICIES.exam_result, 'canvas'), ['discourse']);
    // A person's choice (a resolved conflict) goes to every side the entity flows to.
    assert.deepEqual(flowsFor(DEFAULT_POLICIES.content_edit, 'manual'), ['canvas', 'discourse']);
  });

  it('lets an institution override the flows of an entity, and only those', () => {
    const table = resolvePolicies({ exam_result: { flows: ['canvas', 'discourse'] } });
    assert.deepEqual(table.exam_result.flows, ['canvas', 'discourse']);
    assert.equal(table.exam_result.tier, 'critical');
    assert.deepEqual(table.certificate.flows, ['discourse']);
  });

  it('refuses a flow to a side that does not exist, naming it', () => {
    assert.throws(
      () => resolvePolicies({ grade: { flows: ['moodle'] } }),
      (error: Error & { code?: string }) =>
        error.code === 'ERR_INVALID_CONFIG' &&
        /^policy override grade\.flows\.0 is invalid: .*flows: canvas, discourse\)$/.test(
          error.message,
        ),
    );
  });
});

import assert from 'node:assert/strict';
import { canvasIds, pageRole } from './identity.js';

const M = 'http://purl.imsglobal.org/vocab/lis/v2/membership#';
const I = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#';

describe('the course page identity', () => {
  it("gives the instructor view to this course's staff only", () => {
    assert.equal(pageRole([`${M}Instructor`]), 'instructor');
    assert.equal(
      pageRole(['http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant']),
      'instructor',
    );
    assert.equal(pageRole([`${M}ContentDeveloper`]), 'instructor');
    assert.equal(pageRole([`${I}Administrator`]), 'instructor');
    assert.equal(pageRole([`${M}Learner`]), 'student');
    // Canvas also sends institution roles held elsewhere: a student who teaches another course.
    assert.equal(pageRole([`${I}Instructor`, `${M}Learner`]), 'student');
    assert.equal(pageRole([]), 'student');
  });

  it('uses global Canvas ids: given, or local ids made global with the shard', () => {
    const global = {
      canvas_course_global_id: '21070000000000565',
      canvas_user_global_id: '21070000000000007',
    };
    assert.deepEqual(canvasIds({ ...global, canvas_course_id: '565', canvas_user_id: '7' }), {
      course: '21070000000000565',
      user: '21070000000000007',
    });
    const local = { canvas_course_id: '565', canvas_user_id: '7' };
    assert.deepEqual(canvasIds(local, '2107'), {
      course: '21070000000000565',
      user: '21070000000000007',
    });
    assert.deepEqual(
      canvasIds({ ...local, canvas_shard_id: '12' }, '2107').course,
      '120000000000565',
    );
    assert.deepEqual(canvasIds(local), { course: '565', user: '7' });
  });

  it('refuses a launch whose custom fields were not expanded, naming the field and the fix', () => {
    assert.throws(
      () => canvasIds({ canvas_course_id: '$Canvas.course.id', canvas_user_id: '7' }),
      /custom field "canvas_course_id" is "\$Canvas\.course\.id", not an id.*install the tool again/,
    );
    assert.throws(() => canvasIds(undefined), /custom field "canvas_course_id" is missing/);
  });
});

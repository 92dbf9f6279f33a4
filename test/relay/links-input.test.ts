// Issue 12, the links API refusing what it must (DESIGN.md section 3b): a course id taken from
// another course's launch, a student linking a course, a category nobody allowed or another
// course's, malformed bodies. Each a 4xx with its code and a message saying what to do. Also an
// instructor picking a category an admin allowed. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import * as m from '../sim/discourse/mutations.js';
import { COURSE, LinksWorld, REDIRECT, TEACHER, studentId, type Answer } from './links-world.js';

const OTHER_COURSE = '777';

function refused(answer: Answer, status: number, code: string, message: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error?.code, code);
  assert.match(answer.body.error!.message, message);
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`links API: bad input (${dialect})`, function () {
    this.timeout(60_000);
    let w: LinksWorld;
    let allowed: number;
    let elsewhere: number;
    before(async () => {
      w = await new LinksWorld(dialect, (sim) => {
        allowed = m.createCategory(sim.state, { name: 'Allowed course forum' }).id;
        elsewhere = m.createCategory(sim.state, { name: 'Staff lounge' }).id;
        return { LINK_ALLOWED_CATEGORIES: String(allowed) };
      }).start();
    });
    after(async () => {
      await w?.stop();
    });

    it("refuses a course token on another course's link routes with 403", async () => {
      const teacher = await w.token('instructor', TEACHER); // course 565
      const base = `/v1/status/courses/${OTHER_COURSE}`;
      const calls: Array<[string, string, unknown?]> = [
        ['GET', `${base}/link/options`],
        ['PUT', `${base}/link`, { create: { name: 'Not mine' } }],
        ['DELETE', `${base}/link`],
      ];
      for (const [method, path, body] of calls)
        refused(
          await w.api(method, path, teacher, body),
          403,
          'ERR_FORBIDDEN',
          /your token \(course 565\) does not cover course 777/,
        );
      const student = await w.token('student', studentId(70));
      for (const [method, path, body] of [
        ['PUT', `${base}/me/identity`, { email: 'a@b.edu' }],
        ['POST', `${base}/me/link/start`, { redirect: REDIRECT }],
        ['POST', `${base}/me/link/complete`, { payload: 'x'.repeat(40) }],
        ['DELETE', `${base}/me/link`],
      ] as const)
        refused(
          await w.api(method, path, student, body),
          403,
          'ERR_FORBIDDEN',
          /your token is for course 565, not course 777/,
        );
      assert.equal(w.sim.state.groups.size, 0, 'nothing created in Discourse');
    });

    it('refuses a student linking the course with 403, and the list of every link to anyone but an admin', async () => {
      const student = await w.token('student', studentId(71));
      refused(
        await w.api('PUT', `/v1/status/courses/${COURSE}/link`, student, { create: { name: 'x' } }),
        403,
        'ERR_FORBIDDEN',
        /only an instructor of course 565 may link it to Discourse/,
      );
      refused(
        await w.api('GET', '/v1/status/links', await w.token('instructor', TEACHER)),
        403,
        'ERR_FORBIDDEN',
        /the list of every link needs the admin token/,
      );
    });

    it('lets an instructor pick only a category an admin allowed, and only one no other course has', async () => {
      const teacher = await w.token('instructor', TEACHER);
      const options = await w.api('GET', `/v1/status/courses/${COURSE}/link/options`, teacher);
      assert.equal(options.status, 200, JSON.stringify(options.body));
      assert.deepEqual(options.body, {
        link: null,
        categories: [{ id: allowed, name: 'Allowed course forum' }],
      });
      refused(
        await w.api('PUT', `/v1/status/courses/${COURSE}/link`, teacher, {
          category_id: elsewhere,
        }),
        403,
        'ERR_FORBIDDEN',
        new RegExp(`category ${elsewhere} is not one an admin allowed .*LINK_ALLOWED_CATEGORIES`),
      );
      const picked = await w.api('PUT', `/v1/status/courses/${COURSE}/link`, teacher, {
        category_id: allowed,
      });
      assert.equal(picked.status, 200, JSON.stringify(picked.body));
      const link = picked.body.link as { method: string; category_id: number; group_name: string };
      assert.deepEqual(
        [link.method, link.category_id, link.group_name],
        ['picked', allowed, 'course-565'],
      );
      assert.ok(w.sim.state.groupByName('course-565'), 'the course group was created');
      const otherTeacher = await w.token('instructor', TEACHER, OTHER_COURSE);
      refused(
        await w.api('PUT', `/v1/status/courses/${OTHER_COURSE}/link`, otherTeacher, {
          category_id: allowed,
        }),
        409,
        'ERR_CONFLICT',
        new RegExp(`category ${allowed} is already the forum of Canvas course 565`),
      );
      const admin = await w.api('GET', '/v1/status/links', w.h.env.RELAY_ADMIN_TOKEN!);
      assert.equal(admin.status, 200);
      assert.deepEqual(
        (admin.body.courses as Array<{ course_id: string }>).map((c) => c.course_id),
        ['565'],
      );
    });

    it('refuses malformed bodies and ids with 400, naming the field', async () => {
      const teacher = await w.token('instructor', TEACHER);
      const student = await w.token('student', studentId(72));
      const course = `/v1/status/courses/${COURSE}`;
      const cases: Array<[string, string, string, unknown, RegExp]> = [
        ['PUT', `${course}/link`, teacher, {}, /body must be \{"create": \{"name"/],
        ['PUT', `${course}/link`, teacher, { create: { name: '  ' } }, /body "create\.name" /],
        ['PUT', `${course}/link`, teacher, { category_id: 'seven' }, /body must be \{"create"/],
        ['PUT', `${course}/link`, teacher, '{"create":', /request body could not be read: .*JSON/],
        [
          'POST',
          `${course}/me/link/start`,
          student,
          { redirect: 'javascript:alert(1)' },
          /body "redirect" must be the http\(s\) URL Discourse sends the student back to/,
        ],
        [
          'POST',
          `${course}/me/link/complete`,
          student,
          { payload: 'short' },
          /body "payload" must be the payload Discourse redirected back with/,
        ],
        ['PUT', `${course}/me/identity`, student, { email: 'not-an-address' }, /body "email"/],
        [
          'PUT',
          `${course}/me/identity`,
          student,
          { role: 'admin' },
          /body Unrecognized key: "role"/,
        ],
        [
          'DELETE',
          '/v1/status/courses/abc/link',
          teacher,
          undefined,
          /path parameter "course" must be a Canvas course id \(digits\)/,
        ],
      ];
      for (const [method, path, token, body, message] of cases) {
        const answer = await w.api(method, path, token, body);
        refused(answer, 400, 'ERR_MALFORMED', message);
      }
    });
  });
}

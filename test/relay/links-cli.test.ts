// `cds links list|add|remove` as an admin runs it (issue 12), against a real relay writing to the
// Discourse simulator: every change audited under the CLI's actor, a new link sends what waited
// for it (the CLI queues it on the relay's queues), a removed one makes later events wait again,
// and mistakes answered with what to do. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import * as m from '../sim/discourse/mutations.js';
import { cds } from '../support/cds.js';
import { ENROLLMENT_COURSE, LinksWorld, eventOf, studentId } from './links-world.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`cds links (${dialect})`, function () {
    this.timeout(90_000);
    let w: LinksWorld;
    let env: Record<string, string>;
    beforeEach(async () => {
      w = await new LinksWorld(dialect, { DISCOURSE_EXTERNAL_ID: 'none' }).start();
      env = w.h.env;
    });
    afterEach(async () => {
      await w?.stop();
    });

    it('adds a user link that sends what waited, lists it with the waits, and removes it', async () => {
      const ada = w.account('ada80');
      const [grade, other] = [eventOf('grade', 80), eventOf('grade', 81)];
      await w.h.send([grade, other]);
      for (const event of [grade, other])
        assert.equal((await w.settled(event.id)).state, 'waiting');

      const before = await cds(['links', 'list'], env);
      assert.equal(before.code, 0, before.stderr);
      assert.match(before.stdout, /\(no course is linked\)/);
      assert.match(before.stdout, /\(no user is linked\)/);
      assert.match(
        before.stdout,
        /^2\s+pending: user not linked \(automatic linking is turned off/m,
      );

      const added = await cds(
        ['links', 'add', 'user', studentId(80), '--discourse-user', 'ADA80'],
        env,
      );
      assert.equal(added.code, 0, added.stderr);
      assert.match(
        added.stdout,
        new RegExp(`linked user ${studentId(80)} to @ada80 \\(${ada.id}\\)`),
      );
      assert.equal((await w.settled(grade.id)).state, 'applied');
      assert.deepEqual(w.writesOf(ada.id), ['user_updated']);
      const audit = await w.auditOf('link.user.added');
      assert.equal(audit.length, 1);
      assert.match(audit[0]!.actor, /^cli:/);
      assert.equal((JSON.parse(audit[0]!.detail) as { method: string }).method, 'admin');

      const listed = await cds(['links', 'list', '--json'], env);
      const json = JSON.parse(listed.stdout) as {
        users: Array<{ canvas_user_id: string; discourse_username: string; method: string }>;
        waiting: Array<{ reason: string; count: number }>;
      };
      assert.deepEqual(
        json.users.map((u) => [u.canvas_user_id, u.discourse_username, u.method]),
        [[studentId(80), 'ada80', 'admin']],
      );
      assert.deepEqual(
        json.waiting.map((x) => [x.count, x.reason.slice(0, 24)]),
        [[1, 'pending: user not linked']],
      );

      const removed = await cds(['links', 'remove', 'user', studentId(80)], env);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(
        removed.stdout,
        /their grades and badges stop syncing to Discourse until they are linked again/,
      );
      const later = eventOf('assignment_submission', 80);
      await w.h.send([later]);
      assert.equal((await w.settled(later.id)).state, 'waiting');
      assert.equal((await w.auditOf('link.user.removed'))[0]?.actor.startsWith('cli:'), true);
    });

    it('adds a course link to an existing category and group; the waiting enrollment joins it', async () => {
      const category = m.createCategory(w.sim.state, { name: 'CS 101 forum' });
      const group = m.createGroup(w.sim.state, { name: 'cs101' });
      const student = w.account('bo82');
      await w.linkUser(studentId(82), 'bo82');
      const enrollment = eventOf('enrollment', 82);
      await w.h.send([enrollment]);
      assert.equal((await w.settled(enrollment.id)).state, 'waiting');

      const added = await cds(
        [
          'links',
          'add',
          'course',
          ENROLLMENT_COURSE,
          '--category',
          String(category.id),
          '--group',
          'cs101',
        ],
        env,
      );
      assert.equal(added.code, 0, added.stderr);
      assert.match(
        added.stdout,
        new RegExp(
          `linked course ${ENROLLMENT_COURSE} to category ${category.id} "CS 101 forum" and group cs101`,
        ),
      );
      assert.equal((await w.settled(enrollment.id)).state, 'applied');
      assert.deepEqual(
        w.sim.state.membersOf(group.id).map((u) => u.username),
        [student.username],
      );
      const listed = await cds(['links', 'list'], env);
      assert.match(
        listed.stdout,
        new RegExp(
          `${ENROLLMENT_COURSE}\\s+${category.id} CS 101 forum\\s+${group.id} cs101\\s+admin\\s+cli:`,
        ),
      );
      assert.match(listed.stdout, /\(nothing waits for a link\)/);

      const removed = await cds(['links', 'remove', 'course', ENROLLMENT_COURSE], env);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /nothing of it syncs to Discourse until it is linked again/);
      assert.equal((await w.auditOf('link.course.removed')).length, 1);
    });

    it('answers mistakes with what to do, and changes nothing', async () => {
      w.account('taken83');
      await w.linkUser(studentId(83), 'taken83');
      const cases: Array<[string[], RegExp, Record<string, string>?]> = [
        [['links', 'add', 'group', '1'], /say what to link: "course" or "user" \(got "group"\)/],
        [
          ['links', 'add', 'user', 'abc', '--discourse-user', 'x'],
          /the user must be a Canvas id \(digits\), got "abc"/,
        ],
        [
          ['links', 'add', 'user', studentId(84)],
          /a user link needs --discourse-user <Discourse username>/,
        ],
        [
          ['links', 'add', 'course', '565', '--group', 'g'],
          /a course link needs --category <Discourse category id> and --group/,
        ],
        [
          ['links', 'add', 'user', studentId(84), '--discourse-user', 'nobody_here'],
          /Discourse has no user "nobody_here": check the username/,
        ],
        [
          ['links', 'add', 'user', studentId(84), '--discourse-user', 'taken83'],
          /@taken83 is already linked to another Canvas user/,
        ],
        [
          ['links', 'add', 'course', '565', '--category', '9999', '--group', 'g'],
          /Discourse has no category 9999/,
        ],
        [['links', 'remove', 'course', '565'], /Canvas course 565 is not linked/],
        [
          ['links', 'add', 'user', studentId(84), '--discourse-user', 'taken83'],
          /needs the relay's Discourse settings: set DISCOURSE_URL and DISCOURSE_API_KEY/,
          { DISCOURSE_URL: '', DISCOURSE_API_KEY: '' },
        ],
      ];
      for (const [args, message, extra] of cases) {
        const run = await cds(args, { ...env, ...extra });
        assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
        assert.match(run.stderr, message);
      }
      const links = await w.userLinks();
      assert.deepEqual(links, [[studentId(83), 'taken83', 'admin']]);
      assert.equal((await w.auditOf('link.course.added')).length, 0);
    });
  });
}

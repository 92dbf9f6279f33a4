// Issue 12, links through a real relay to the Discourse simulator (SQLite and PostgreSQL): events
// that need a link that does not exist yet wait as `pending: user not linked` / `pending: course
// not linked`, the status API shows it, and they are applied once, in order, when the link appears;
// removing a link says what stops, and later events wait again.
import assert from 'node:assert/strict';
import { replayWindow } from '../../relay/src/ops/replay.js';
import {
  COURSE,
  ENROLLMENT_COURSE,
  LinksWorld,
  TEACHER,
  eventOf,
  studentId,
  type Answer,
} from './links-world.js';

interface LinksView {
  course: { category_id: number; group_id: number; group_name: string } | null;
  me: { discourse_username: string } | null;
  waiting: Array<{ reason: string; count: number }>;
}
const linksOf = (answer: Answer) => answer.body.links as LinksView;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`links: events wait for their links (${dialect})`, function () {
    this.timeout(60_000);
    let w: LinksWorld;
    beforeEach(async () => {
      w = await new LinksWorld(dialect).start();
    });
    afterEach(async () => {
      await w?.stop();
    });

    it("holds an unlinked student's grade and certificate, then applies both once, in order, when linked", async () => {
      const seq = 40;
      const late = w.account('late_linker'); // no external id: found by no automatic link
      const grade = eventOf('grade', seq);
      const certificate = eventOf('certificate', seq);
      // The certificate's id sorts first, but the grade arrived first: the grade goes first.
      [grade.id, certificate.id] = [grade.id, certificate.id].sort().reverse() as [string, string];
      await w.h.send([grade]);
      await w.settled(grade.id);
      await w.h.send([certificate]);
      for (const event of [grade, certificate]) {
        const { state, reason } = await w.settled(event.id);
        assert.equal(state, 'waiting');
        assert.match(reason ?? '', /^pending: user not linked \(/);
        assert.match(
          reason ?? '',
          new RegExp(`no Discourse account has external_id "${studentId(seq)}"`),
        );
      }
      const teacher = await w.token('instructor', TEACHER);
      const course = await w.api('GET', `/v1/status/courses/${COURSE}`, teacher);
      assert.equal(course.status, 200, JSON.stringify(course.body));
      const waiting = linksOf(course).waiting;
      assert.equal(waiting.length, 1, JSON.stringify(waiting));
      assert.match(waiting[0]!.reason, /^pending: user not linked/);
      assert.equal(waiting[0]!.count, 2);
      const shown = await w.api('GET', `/v1/status/events/${certificate.id}`, teacher);
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      const view = shown.body as {
        event: { state: string; reason: string };
        deliveries: Array<{ target: string; status: string }>;
      };
      assert.equal(view.event.state, 'waiting');
      assert.match(view.event.reason, /^pending: user not linked/);
      assert.deepEqual(
        view.deliveries.filter((d) => d.target === 'discourse').map((d) => d.status),
        ['waiting'],
      );
      assert.deepEqual(w.writesOf(late.id), [], 'nothing written while unlinked');

      await w.linkUser(studentId(seq), 'late_linker');
      for (const event of [grade, certificate])
        assert.equal((await w.settled(event.id)).state, 'applied');
      // One sync-state write (the grade) and then one badge (the certificate), nothing more.
      assert.deepEqual(w.writesOf(late.id), ['user_updated', 'user_badge_granted']);
      const badges = [...w.sim.state.userBadges.values()].filter((b) => b.user_id === late.id);
      assert.equal(badges.length, 1);
      assert.equal(
        linksOf(await w.api('GET', `/v1/status/courses/${COURSE}`, teacher)).waiting.length,
        0,
      );

      // Made again (an admin repeats it): recorded as a change, and nothing is sent again.
      await w.linkUser(studentId(seq), 'late_linker');
      assert.equal(await w.pendingDeliveries(), 0);
      assert.deepEqual(w.writesOf(late.id), ['user_updated', 'user_badge_granted']);
      const audit = [
        ...(await w.auditOf('link.user.added')),
        ...(await w.auditOf('link.user.changed')),
      ];
      assert.deepEqual(
        audit.map((a) => [a.action, a.actor, a.subject]),
        [
          ['link.user.added', 'admin', `user:${studentId(seq)}`],
          ['link.user.changed', 'admin', `user:${studentId(seq)}`],
        ],
      );
    });

    it("holds an enrollment as 'pending: course not linked' until the instructor creates the course's forum", async () => {
      const seq = 41;
      const student = w.account('enrolled41', { external_id: studentId(seq) });
      const enrollment = eventOf('enrollment', seq);
      await w.h.send([enrollment]);
      const held = await w.settled(enrollment.id);
      assert.equal(held.state, 'waiting');
      assert.match(
        held.reason ?? '',
        /^pending: course not linked \(Canvas course 21070000000000565 has no Discourse category yet/,
      );
      const teacher = await w.token('instructor', TEACHER, ENROLLMENT_COURSE);
      const before = linksOf(
        await w.api('GET', `/v1/status/courses/${ENROLLMENT_COURSE}`, teacher),
      );
      assert.equal(before.course, null);
      assert.deepEqual(
        before.waiting.map((x) => [x.reason.slice(0, 26), x.count]),
        [['pending: course not linked', 1]],
      );

      const made = await w.api('PUT', `/v1/status/courses/${ENROLLMENT_COURSE}/link`, teacher, {
        create: { name: 'CS 101: Computer Science I' },
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const link = made.body.link as {
        category_id: number;
        group_id: number;
        group_name: string;
        method: string;
        made_by: string;
      };
      assert.equal(link.method, 'created');
      assert.equal(link.made_by, `lti:${TEACHER}@course:${ENROLLMENT_COURSE}`);
      const category = w.sim.state.categories.get(link.category_id);
      assert.equal(category?.name, 'CS 101: Computer Science I');
      const group = w.sim.state.groups.get(link.group_id);
      assert.equal(group?.name, link.group_name);
      assert.equal(link.group_name, 'c-21070000000000565');

      assert.equal((await w.settled(enrollment.id)).state, 'applied');
      assert.deepEqual(
        w.sim.state.membersOf(link.group_id).map((u) => u.username),
        [student.username],
      );
      const after = linksOf(await w.api('GET', `/v1/status/courses/${ENROLLMENT_COURSE}`, teacher));
      assert.equal(after.course?.group_id, link.group_id);
      assert.deepEqual(after.waiting, []);
    });

    it('removing a course link or a user link says syncs stop, and later events wait again', async () => {
      const seq = 42;
      w.account('leaver42');
      w.account('member42', { external_id: studentId(43) });
      await w.linkUser(studentId(seq), 'leaver42');
      const teacher = await w.token('instructor', TEACHER, ENROLLMENT_COURSE);
      const made = await w.api('PUT', `/v1/status/courses/${ENROLLMENT_COURSE}/link`, teacher, {
        create: { name: 'CS 101' },
      });
      assert.equal(made.status, 200, JSON.stringify(made.body));

      const unlinked = await w.api(
        'DELETE',
        `/v1/status/courses/${ENROLLMENT_COURSE}/link`,
        teacher,
      );
      assert.equal(unlinked.status, 200, JSON.stringify(unlinked.body));
      assert.match(
        unlinked.body.message as string,
        /^Course 21070000000000565 is no longer linked to "CS 101": nothing of it syncs to Discourse until it is linked again/,
      );
      const enrollment = eventOf('enrollment', 43);
      await w.h.send([enrollment]);
      const held = await w.settled(enrollment.id);
      assert.deepEqual(
        [held.state, held.reason?.slice(0, 26)],
        ['waiting', 'pending: course not linked'],
      );

      const student = await w.token('student', studentId(seq));
      const mine = await w.api('DELETE', `/v1/status/courses/${COURSE}/me/link`, student);
      assert.equal(mine.status, 200, JSON.stringify(mine.body));
      assert.match(
        mine.body.message as string,
        /no longer linked to @leaver42: your grades and badges stop syncing/,
      );
      const again = await w.api('DELETE', `/v1/status/courses/${COURSE}/me/link`, student);
      assert.equal(again.status, 404);
      assert.equal(again.body.error?.code, 'ERR_NOT_FOUND');
      const grade = eventOf('grade', seq);
      await w.h.send([grade]);
      const waiting = await w.settled(grade.id);
      assert.deepEqual(
        [waiting.state, waiting.reason?.slice(0, 24)],
        ['waiting', 'pending: user not linked'],
      );
      assert.deepEqual(
        (await w.auditOf('link.user.removed')).map((a) => [a.actor, a.subject]),
        [[`lti:${studentId(seq)}@course:${COURSE}`, `user:${studentId(seq)}`]],
      );
      assert.equal((await w.auditOf('link.course.removed')).length, 1);
    });

    it('records an account found twice automatically once (two workers at once)', async () => {
      const account = w.account('found_twice');
      const link = {
        canvasUserId: studentId(45),
        discourseUserId: account.id,
        discourseUsername: account.username,
        method: 'external_id' as const,
      };
      await Promise.all([w.service.linkUser(link, 'relay'), w.service.linkUser(link, 'relay')]);
      await w.service.linkUser(link, 'relay');
      assert.equal((await w.auditOf('link.user.added')).length, 1);
      assert.deepEqual(await w.auditOf('link.user.changed'), []);
      // By hand it is a change of its own: who made it and how.
      await w.linkUser(studentId(45), 'found_twice');
      assert.equal((await w.auditOf('link.user.changed')).length, 1);
    });

    it('forgets the wait of an event a person replays (cds replay --states waiting)', async () => {
      const grade = eventOf('grade', 44);
      await w.h.send([grade]);
      assert.equal((await w.settled(grade.id)).state, 'waiting');
      const waits = () => w.h.relay.store.db.selectFrom('link_waits').select('event_id').execute();
      assert.deepEqual(await waits(), [{ event_id: grade.id }]);
      const replayed = await replayWindow(
        w.h.relay.store,
        w.h.relay.queues,
        { since: 0, until: Date.now() + 1, states: ['waiting'] },
        'admin',
      );
      assert.equal(replayed, 1);
      // Decided again: the same version is stale now, so nothing waits for a link any more.
      const { state } = await w.settled(grade.id);
      assert.equal(state, 'stale');
      assert.deepEqual(await waits(), []);
      const teacher = await w.token('instructor', TEACHER);
      const course = await w.api('GET', `/v1/status/courses/${COURSE}`, teacher);
      assert.deepEqual(linksOf(course).waiting, []);
    });
  });
}

// Issue 12, automatic user links (DESIGN.md section 3b): Discourse's external_id matched against the
// configured Canvas identifier, then (only when LINK_BY_EMAIL=true) an e-mail exactly one account
// has. Anything short of one exact match links nothing and the wait says why. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import * as m from '../sim/discourse/mutations.js';
import { startDiscourseSimulator } from '../sim/discourse/server.js';
import { waitFor } from '../support/wait.js';
import { COURSE, LinksWorld, eventOf, studentId } from './links-world.js';

describe("the Discourse simulator's admin users list, filtered by e-mail", () => {
  it('answers the users with that address, primary or secondary, exactly and without case', async () => {
    const sim = await startDiscourseSimulator();
    try {
      m.createUser(sim.state, { username: 'primary1', email: 'Ada@School.edu' });
      const second = m.createUser(sim.state, { username: 'second1', email: 'other@x.edu' });
      second.secondary_emails = ['ada@school.EDU'];
      m.createUser(sim.state, { username: 'near1', email: 'ada@school.edu.au' });
      const list = async (query: string) => {
        const response = await fetch(`${sim.url}/admin/users/list/active.json?${query}`, {
          headers: { 'api-key': sim.apiKey, 'api-username': 'system' },
        });
        assert.equal(response.status, 200);
        return (await response.json()) as Array<{ username: string; secondary_emails?: string[] }>;
      };
      const found = await list('email=ada%40school.edu&show_emails=true');
      assert.deepEqual(found.map((u) => u.username).sort(), ['primary1', 'second1']);
      assert.deepEqual(found.find((u) => u.username === 'second1')?.secondary_emails, [
        'ada@school.EDU',
      ]);
      assert.deepEqual(await list('email=nobody%40school.edu'), []);
      assert.ok((await list('show_emails=true')).length >= 4, 'no filter: every active user');
    } finally {
      await sim.close();
    }
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`links: automatic user links (${dialect})`, function () {
    this.timeout(60_000);
    let w: LinksWorld | undefined;
    afterEach(async () => {
      await w?.stop();
      w = undefined;
    });

    /** Says what a launch of student `seq` told the relay about them. */
    const identify = async (world: LinksWorld, seq: number, identity: Record<string, string>) => {
      const token = await world.token('student', studentId(seq));
      const answer = await world.api(
        'PUT',
        `/v1/status/courses/${COURSE}/me/identity`,
        token,
        identity,
      );
      assert.equal(answer.status, 204, JSON.stringify(answer.body));
    };

    it('links a student to the account whose external_id is their Canvas id (method external_id, by relay)', async () => {
      w = await new LinksWorld(dialect, { DISCOURSE_EXTERNAL_ID: 'canvas_user_id' }).start();
      const seq = 50;
      const account = w.account('sso_student', { external_id: studentId(seq) });
      const grade = eventOf('grade', seq);
      await w.h.send([grade]);
      assert.equal((await w.settled(grade.id)).state, 'applied');
      assert.deepEqual(w.writesOf(account.id), ['user_updated']);
      const links = await w.h.relay.store.db.selectFrom('user_links').selectAll().execute();
      assert.deepEqual(
        links.map((l) => [l.canvas_user_id, Number(l.discourse_user_id), l.method, l.made_by]),
        [[studentId(seq), account.id, 'external_id', 'relay']],
      );
      const audit = await w.auditOf('link.user.added');
      assert.deepEqual(
        audit.map((a) => [a.actor, a.subject]),
        [['relay', `user:${studentId(seq)}`]],
      );
      assert.equal((JSON.parse(audit[0]!.detail) as { method: string }).method, 'external_id');
    });

    it('retries a look-up Discourse failed (an outage is not "not linked"), then links and applies', async () => {
      w = await new LinksWorld(dialect, { DISCOURSE_EXTERNAL_ID: 'canvas_user_id' }).start();
      const seq = 52;
      const account = w.account('sso_student52', { external_id: studentId(seq) });
      const fault = await fetch(`${w.sim.url}/__control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 503, count: 2 }),
      });
      assert.equal(fault.status, 200, await fault.text());
      const grade = eventOf('grade', seq);
      await w.h.send([grade]);
      assert.equal((await w.settled(grade.id)).state, 'applied');
      const [delivery] = await w.h.relay.store.db
        .selectFrom('deliveries')
        .select(['attempts', 'status'])
        .where('event_id', '=', grade.id)
        .where('target', '=', 'discourse')
        .execute();
      assert.equal(delivery?.status, 'delivered');
      assert.ok(delivery.attempts >= 1, 'the failed look-ups were attempts of the delivery');
      assert.deepEqual(await w.userLinks(), [[studentId(seq), 'sso_student52', 'external_id']]);
      assert.deepEqual(w.writesOf(account.id), ['user_updated']);
      // Never held as "not linked": no delivery record says it waited.
      const done = await w.auditOf('delivery.done');
      assert.ok(done.length >= 1);
      assert.ok(done.every((a) => !('waiting' in (JSON.parse(a.detail) as object))));
    });

    it('finds an account made in Discourse later, on the recheck, and applies what waited', async () => {
      w = await new LinksWorld(dialect, {
        DISCOURSE_EXTERNAL_ID: 'canvas_user_id',
        LINK_RECHECK_INTERVAL: '1s',
      }).start();
      const seq = 53;
      const grade = eventOf('grade', seq);
      await w.h.send([grade]);
      const held = await w.settled(grade.id);
      assert.equal(held.state, 'waiting');
      assert.match(
        held.reason ?? '',
        new RegExp(`no Discourse account has external_id "${studentId(seq)}"`),
      );
      // The school's identity provider creates the account afterwards; no new event comes.
      const account = w.account('sso_late53', { external_id: studentId(seq) });
      await waitFor('the recheck found the account and sent the grade', async () => {
        const row = await w!.h.relay.store.db
          .selectFrom('events')
          .select('state')
          .where('id', '=', grade.id)
          .executeTakeFirst();
        return row?.state === 'applied';
      });
      assert.deepEqual(await w.userLinks(), [[studentId(seq), 'sso_late53', 'external_id']]);
      assert.deepEqual(w.writesOf(account.id), ['user_updated']);
    });

    it('never links again automatically a link the student removed, and says so', async () => {
      w = await new LinksWorld(dialect, { DISCOURSE_EXTERNAL_ID: 'canvas_user_id' }).start();
      const seq = 51;
      const account = w.account('sso_student51', { external_id: studentId(seq) });
      const first = eventOf('grade', seq);
      await w.h.send([first]);
      assert.equal((await w.settled(first.id)).state, 'applied');
      const student = await w.token('student', studentId(seq));
      const removed = await w.api('DELETE', `/v1/status/courses/${COURSE}/me/link`, student);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      // The same external id still matches, but the student said no: the next grade waits.
      const next = eventOf('grade', seq + 100);
      next.payload = { ...next.payload, user_id: studentId(seq) };
      next.key = `course:${String(next.payload.course_id)}/user:${studentId(seq)}/assignment:${String(next.payload.assignment_id)}`;
      await w.h.send([next]);
      const held = await w.settled(next.id);
      assert.equal(held.state, 'waiting');
      assert.match(
        held.reason ?? '',
        /^pending: user not linked \(the forum link was removed by lti:/,
      );
      assert.deepEqual(await w.userLinks(), []);
      assert.deepEqual(w.writesOf(account.id), ['user_updated'], 'nothing more written');
      // Linking again by hand (the student, or an admin) lifts it and sends what waited.
      await w.linkUser(studentId(seq), 'sso_student51');
      assert.equal((await w.settled(next.id)).state, 'applied');
    });

    it('never links on an e-mail two accounts have, nor without an external_id, and says why', async () => {
      w = await new LinksWorld(dialect, {
        DISCOURSE_EXTERNAL_ID: 'sis_user_id',
        LINK_BY_EMAIL: 'true',
      }).start();
      const twin = w.account('twin_a', { email: 'twin@school.edu' });
      const other = w.account('twin_b', { email: 'b@school.edu' });
      other.secondary_emails = ['TWIN@school.edu'];
      const single = w.account('single_c', { email: 'c-main@school.edu' });
      single.secondary_emails = ['Carol@School.edu'];

      // 51: an SIS id no account has, and an e-mail two accounts have.
      await identify(w, 51, { sis_user_id: 'S-51', email: 'twin@school.edu' });
      // 52: nothing known (never launched the tool).
      // 53: no SIS id, an e-mail one account has (its secondary address, another case).
      await identify(w, 53, { email: 'carol@school.edu' });
      const [twins, unknown, carol] = [51, 52, 53].map((seq) => eventOf('grade', seq));
      await w.h.send([twins!, unknown!, carol!]);

      const held = await w.settled(twins!.id);
      assert.equal(held.state, 'waiting');
      assert.match(held.reason ?? '', /^pending: user not linked \(/);
      assert.match(held.reason ?? '', /no Discourse account has external_id "S-51"/);
      assert.match(
        held.reason ?? '',
        /the e-mail twin@school\.edu matches 2 Discourse accounts, so none is linked automatically/,
      );
      const none = await w.settled(unknown!.id);
      assert.equal(none.state, 'waiting');
      assert.match(
        none.reason ?? '',
        new RegExp(`no sis_user_id known for Canvas user ${studentId(52)} .*; no e-mail known`),
      );
      assert.equal((await w.settled(carol!.id)).state, 'applied');
      assert.deepEqual(w.writesOf(single.id), ['user_updated']);
      assert.deepEqual([...w.writesOf(twin.id), ...w.writesOf(other.id)], []);
      const links = await w.h.relay.store.db.selectFrom('user_links').selectAll().execute();
      assert.deepEqual(
        links.map((l) => [l.canvas_user_id, l.discourse_username, l.method]),
        [[studentId(53), 'single_c', 'email']],
      );
    });

    it('does not link by e-mail unless LINK_BY_EMAIL is on', async () => {
      w = await new LinksWorld(dialect, { DISCOURSE_EXTERNAL_ID: 'none' }).start();
      const only = w.account('only_one', { email: 'dora@school.edu' });
      await identify(w, 54, { email: 'dora@school.edu' });
      const grade = eventOf('grade', 54);
      await w.h.send([grade]);
      const held = await w.settled(grade.id);
      assert.equal(held.state, 'waiting');
      assert.match(held.reason ?? '', /automatic linking is turned off/);
      assert.deepEqual(w.writesOf(only.id), []);
    });
  });
}

// The simulator's Canvas REST writes (rest/content.ts): Pages API with form or JSON bodies and
// `page_id:` locators, announcements updated through the Discussion Topics API, users#update
// with its per-field rights, and 401 "user not authorized to perform that action" as Canvas.
import assert from 'node:assert/strict';
import { startCanvasSimulator, type CanvasSimulator } from '../server.js';
import * as m from '../mutations.js';

describe('Canvas simulator REST writes: pages, announcements, users', () => {
  let sim: CanvasSimulator;
  let teacher: string;
  let student: string;
  let studentId: number;
  let courseId: number;

  before(async () => {
    sim = await startCanvasSimulator({ throttle: { requestCost: 0 } });
    const { state } = sim;
    const teacherId = m.createUser(state, { name: 'Tess Teacher' }).id;
    studentId = m.createUser(state, { name: 'Sam Student' }).id;
    courseId = m.createCourse(state, { name: 'Biology' }).id;
    m.enroll(state, { courseId, userId: teacherId, type: 'TeacherEnrollment' });
    m.enroll(state, { courseId, userId: studentId });
    teacher = m.issueAccessToken(state, teacherId);
    student = m.issueAccessToken(state, studentId);
  });
  after(() => sim.close());

  const call = (token: string, method: string, path: string, body?: string, json = false) =>
    fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined
          ? {}
          : { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' }),
      },
      body,
    });

  it('creates a page from wiki_page[...] form fields and updates it by page_id: with JSON', async () => {
    const created = await call(
      teacher,
      'POST',
      `/api/v1/courses/${courseId}/pages`,
      'wiki_page[title]=Lab+safety&wiki_page[body]=%3Cp%3EGoggles%3C%2Fp%3E',
    );
    assert.equal(created.status, 200);
    const page = (await created.json()) as { page_id: number; url: string; body: string };
    assert.equal(page.url, 'lab-safety');
    assert.equal(page.body, '<p>Goggles</p>');
    const updated = await call(
      teacher,
      'PUT',
      `/api/v1/courses/${courseId}/pages/page_id:${page.page_id}`,
      JSON.stringify({ wiki_page: { body: '<p>Goggles and gloves</p>' } }),
      true,
    );
    assert.equal(updated.status, 200);
    const shown = (await (
      await call(teacher, 'GET', `/api/v1/courses/${courseId}/pages/lab-safety`)
    ).json()) as { title: string; body: string };
    assert.deepEqual([shown.title, shown.body], ['Lab safety', '<p>Goggles and gloves</p>']);
    const list = (await (
      await call(teacher, 'GET', `/api/v1/courses/${courseId}/pages`)
    ).json()) as Array<Record<string, unknown>>;
    assert.equal(list.length, 1);
    assert.equal('body' in list[0]!, false, 'lists leave the body out');
  });

  it('answers a missing page as Canvas does, and refuses a page without a title', async () => {
    const missing = await call(teacher, 'GET', `/api/v1/courses/${courseId}/pages/page_id:999999`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { message: 'page not found' });
    const untitled = await call(teacher, 'POST', `/api/v1/courses/${courseId}/pages`, 'x=1');
    assert.equal(untitled.status, 400);
    assert.match(JSON.stringify(await untitled.json()), /"attribute":"title"/);
  });

  it('refuses content writes from a student with 401 "user not authorized"', async () => {
    const answer = await call(
      student,
      'POST',
      `/api/v1/courses/${courseId}/pages`,
      'wiki_page[title]=Mine',
    );
    assert.equal(answer.status, 401);
    assert.deepEqual(await answer.json(), {
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    });
  });

  it('updates an announcement by its topic id and lists it only among announcements', async () => {
    const topic = m.createDiscussionTopic(sim.state, {
      courseId,
      title: 'Welcome',
      message: '<p>Hi</p>',
      isAnnouncement: true,
    });
    const answer = await call(
      teacher,
      'PUT',
      `/api/v1/courses/${courseId}/discussion_topics/${topic.id}`,
      'title=Welcome+back&message=%3Cp%3EHi+again%3C%2Fp%3E',
    );
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { message: string }).message, '<p>Hi again</p>');
    const only = async (announcements: boolean) =>
      (
        (await (
          await call(
            teacher,
            'GET',
            `/api/v1/courses/${courseId}/discussion_topics?only_announcements=${announcements}`,
          )
        ).json()) as Array<{ id: number }>
      ).map((t) => t.id);
    assert.deepEqual(await only(true), [topic.id]);
    assert.deepEqual(await only(false), []);
  });

  it('lets a user set their own avatar but not their bio, and an admin set the bio', async () => {
    const path = `/api/v1/users/${studentId}`;
    const avatar = await call(student, 'PUT', path, 'user[avatar][url]=https://a.example/x.png');
    assert.equal(avatar.status, 200);
    assert.equal(sim.state.users.get(studentId)!.avatar_url, 'https://a.example/x.png');
    const bio = await call(student, 'PUT', path, 'user[bio]=Hello');
    assert.equal(bio.status, 401);
    const adminId = m.createUser(sim.state, { name: 'Ada Admin' }).id;
    sim.state.accountAdmins.add(adminId);
    const admin = m.issueAccessToken(sim.state, adminId);
    const set = await call(admin, 'PUT', path, 'user[bio]=Hello&user[title]=TA');
    assert.equal(set.status, 200);
    assert.deepEqual(((await set.json()) as { bio: string; title: string }).bio, 'Hello');
    const profile = (await (await call(admin, 'GET', `${path}/profile`)).json()) as {
      bio: string;
      title: string;
    };
    assert.deepEqual([profile.bio, profile.title], ['Hello', 'TA']);
    sim.state.enableProfiles = false;
    assert.equal((await call(admin, 'PUT', path, 'user[bio]=Bye')).status, 401);
    sim.state.enableProfiles = true;
  });
});

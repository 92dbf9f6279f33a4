import assert from 'node:assert/strict';
import { startCanvasSimulator, type CanvasSimulator } from '../server.js';
import * as m from '../mutations.js';

/** Parses a Canvas Link header into rel -> URL, checking its exact format on the way. */
function links(header: string | null): Record<string, string> {
  assert.ok(header, 'a Link header');
  const out: Record<string, string> = {};
  for (const part of header.split(',')) {
    const match = /^<([^>]+)>; rel="(current|next|prev|first|last)"$/.exec(part);
    assert.ok(match, `link part in Canvas's format: ${part}`);
    out[match[2]!] = match[1]!;
  }
  return out;
}

describe('Canvas simulator REST pagination', () => {
  let sim: CanvasSimulator;
  let token: string;
  let courseId: number;
  const students: number[] = [];

  before(async () => {
    sim = await startCanvasSimulator({ throttle: { requestCost: 0 } });
    const { state } = sim;
    const teacher = m.createUser(state, { name: 'Tess Teacher' });
    token = m.issueAccessToken(state, teacher.id);
    courseId = m.createCourse(state, { name: 'Pagination 101' }).id;
    m.enroll(state, { courseId, userId: teacher.id, type: 'TeacherEnrollment' });
    const assignment = m.createAssignment(state, { courseId, name: 'Essay' });
    for (let i = 0; i < 23; i++) {
      const u = m.createUser(state, { name: `Student ${String(i).padStart(2, '0')}` });
      students.push(u.id);
      m.enroll(state, { courseId, userId: u.id });
      m.submit(state, { assignmentId: assignment.id, userId: u.id });
    }
  });
  after(() => sim.close());

  const get = (url: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

  it('walks every page of course users by following rel="next"', async () => {
    let url: string | undefined = `${sim.url}/api/v1/courses/${courseId}/users?per_page=7`;
    const seen: number[] = [];
    let pages = 0;
    while (url) {
      const res = await get(url);
      assert.equal(res.status, 200);
      const page = (await res.json()) as Array<{ id: number }>;
      assert.ok(page.length <= 7);
      seen.push(...page.map((u) => u.id));
      url = links(res.headers.get('link')).next;
      pages += 1;
    }
    assert.equal(pages, 4); // 24 users (23 students + the teacher), 7 per page
    assert.equal(new Set(seen).size, 24);
    for (const id of students) assert.ok(seen.includes(id), `student ${id} listed`);
  });

  it('writes current, next, first and last on page 1, and prev from page 2, as absolute URLs', async () => {
    const base = `${sim.url}/api/v1/courses/${courseId}/enrollments`;
    const first = links(
      (await get(`${base}?type[]=StudentEnrollment&per_page=5`)).headers.get('link'),
    );
    assert.deepEqual(Object.keys(first), ['current', 'next', 'first', 'last']);
    // Other parameters are kept, Rails-encoded, before page and per_page.
    assert.equal(first.next, `${base}?type%5B%5D=StudentEnrollment&page=2&per_page=5`);
    assert.equal(first.last, `${base}?type%5B%5D=StudentEnrollment&page=5&per_page=5`);
    const second = links((await get(first.next!)).headers.get('link'));
    assert.deepEqual(Object.keys(second), ['current', 'next', 'prev', 'first', 'last']);
    assert.equal(second.prev, `${base}?type%5B%5D=StudentEnrollment&page=1&per_page=5`);
    const last = await get(first.last!);
    assert.equal(((await last.json()) as unknown[]).length, 3);
    assert.equal(links(last.headers.get('link')).next, undefined);
  });

  it('pages 10 by default and at most 100, and leaves the access_token out of the links', async () => {
    const base = `${sim.url}/api/v1/courses/${courseId}/users`;
    const byDefault = await get(base);
    assert.equal(((await byDefault.json()) as unknown[]).length, 10);
    const capped = await fetch(`${base}?per_page=500&access_token=${token}`);
    assert.equal(capped.status, 200);
    const l = links(capped.headers.get('link'));
    assert.equal(l.current, `${base}?page=1&per_page=100`);
    assert.equal(((await capped.json()) as unknown[]).length, 24);
  });

  it('pages students/submissions by opaque bookmarks, with no prev or last', async () => {
    let url: string | undefined =
      `${sim.url}/api/v1/courses/${courseId}/students/submissions?student_ids[]=all&per_page=10`;
    const ids: number[] = [];
    const pageParams: string[] = [];
    while (url) {
      const res = await get(url);
      const l = links(res.headers.get('link'));
      assert.equal(l.prev, undefined);
      assert.equal(l.last, undefined);
      ids.push(...((await res.json()) as Array<{ id: number; user_id: number }>).map((s) => s.id));
      pageParams.push(new URL(l.current!).searchParams.get('page')!);
      url = l.next;
    }
    assert.equal(ids.length, 23);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(pageParams[0], 'first');
    assert.match(pageParams[1]!, /^bookmark:[A-Za-z0-9_-]+$/);
  });

  it('filters students/submissions with graded_since and refuses a malformed date', async () => {
    const before = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const assignmentId = sim.state.list(sim.state.assignments)[0]!.id;
    m.grade(sim.state, { assignmentId, userId: students[3]!, posted_grade: '7' });
    const base = `${sim.url}/api/v1/courses/${courseId}/students/submissions?student_ids[]=all`;
    const graded = (await (await get(`${base}&graded_since=${before}`)).json()) as Array<{
      user_id: number;
      score: number;
    }>;
    assert.deepEqual(
      graded.map((s) => [s.user_id, s.score]),
      [[students[3], 7]],
    );
    const bad = await get(`${base}&graded_since=yesterday`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      errors: { graded_since: 'Invalid datetime for graded_since' },
    });
  });

  it("returns only the caller's own submissions when student_ids is omitted", async () => {
    const student = students[5]!;
    const own = m.issueAccessToken(sim.state, student);
    const res = await fetch(`${sim.url}/api/v1/courses/${courseId}/students/submissions`, {
      headers: { authorization: `Bearer ${own}` },
    });
    const rows = (await res.json()) as Array<{ user_id: number }>;
    assert.deepEqual(
      rows.map((s) => s.user_id),
      [student],
    );
  });
});

import assert from 'node:assert/strict';
import { startCanvasSimulator, type CanvasSimulator } from './server.js';
import * as m from './mutations.js';

describe('Canvas simulator faults and control API', () => {
  let sim: CanvasSimulator;
  let token: string;
  let courseId: number;

  beforeEach(async () => {
    sim = await startCanvasSimulator({ throttle: { requestCost: 0 } });
    token = m.issueAccessToken(sim.state, m.createUser(sim.state, { name: 'Tool' }).id);
    courseId = m.createCourse(sim.state, { name: 'Faulty' }).id;
  });
  afterEach(() => sim.close());

  const get = (init: RequestInit = {}) =>
    fetch(`${sim.url}/api/v1/courses/${courseId}`, {
      ...init,
      headers: { authorization: `Bearer ${token}` },
    });
  const control = (path: string, body?: unknown, method = 'POST') =>
    fetch(`${sim.url}/__control${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('builds a course, users, enrollments and tokens through the control API', async () => {
    const course = (await (await control('/courses', { name: 'Chemistry' })).json()) as {
      id: number;
    };
    const user = (await (await control('/users', { name: 'Ada Lovelace' })).json()) as {
      id: number;
    };
    assert.equal(
      (await control('/enrollments', { courseId: course.id, userId: user.id })).status,
      200,
    );
    const { access_token } = (await (await control('/tokens', { userId: user.id })).json()) as {
      access_token: string;
    };
    const res = await fetch(`${sim.url}/api/v1/courses/${course.id}/users`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    assert.deepEqual(
      ((await res.json()) as Array<{ name: string }>).map((u) => u.name),
      ['Ada Lovelace'],
    );
  });

  it('refuses bad control input with 400 and an unknown record with 404', async () => {
    const bad = await control('/enrollments', { courseId: 'x', userId: 1 });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: { code: 'ERR_CONTROL_INPUT', message: 'courseId must be an integer' },
    });
    const missing = await control('/enrollments', { courseId: 424242, userId: 1 });
    assert.equal(missing.status, 404);
  });

  describe('when Canvas goes offline', () => {
    it('answers 503 to every API request, then recovers', async () => {
      await control('/offline', { mode: '503' });
      assert.equal((await get()).status, 503);
      assert.equal((await fetch(sim.liveEventsJwksUrl)).status, 503);
      await control('/online');
      assert.equal((await get()).status, 200);
    });

    it('refuses connections, then listens again on the same port', async () => {
      await sim.goOffline('refuse');
      await assert.rejects(get(), (err: Error & { cause?: { code?: string } }) => {
        assert.equal(err.cause?.code, 'ECONNREFUSED');
        return true;
      });
      await sim.goOnline();
      assert.equal((await get()).status, 200);
    });

    it('comes back by itself after forMs', async () => {
      await control('/offline', { mode: '503', forMs: 50 });
      assert.equal((await get()).status, 503);
      for (let i = 0; i < 100 && sim.faults.offline !== 'no'; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal((await get()).status, 200);
    });
  });

  it('answers the next N requests with an injected 5xx, then normally', async () => {
    await control('/faults', { status: 502, count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get()).status);
    assert.deepEqual(statuses, [502, 502, 200]);
    const counters = (await (await fetch(`${sim.url}/__control/counters`)).json()) as {
      requests: number;
      faulted: number;
    };
    assert.deepEqual([counters.requests, counters.faulted], [3, 2]);
    assert.equal((await control('/faults', { status: 404 })).status, 400);
  });

  it('delays answers so that a client with a shorter timeout gives up', async () => {
    await control('/delay', { ms: 2000, count: 1 });
    await assert.rejects(get({ signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
    assert.equal((await get()).status, 200);
  });
});

import assert from 'node:assert/strict';
import { startCanvasSimulator, type CanvasSimulator } from '../server.js';
import * as m from '../mutations.js';

describe('Canvas simulator throttling', () => {
  let sim: CanvasSimulator;
  let token: string;
  let other: string;
  let courseId: number;

  // A fixed cost and no leak make the bucket's arithmetic exact: 600 / 100 = 6 requests.
  beforeEach(async () => {
    sim = await startCanvasSimulator({ throttle: { requestCost: 100, outflow: 0 } });
    const u = m.createUser(sim.state, { name: 'Tool User' });
    token = m.issueAccessToken(sim.state, u.id);
    other = m.issueAccessToken(sim.state, m.createUser(sim.state, { name: 'Other' }).id);
    courseId = m.createCourse(sim.state, { name: 'Throttled' }).id;
  });
  afterEach(() => sim.close());

  const get = (t: string) =>
    fetch(`${sim.url}/api/v1/courses/${courseId}`, { headers: { authorization: `Bearer ${t}` } });

  it('puts X-Request-Cost and X-Rate-Limit-Remaining on every response, draining per token', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await get(token);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-request-cost'), '100.0');
      remaining.push(res.headers.get('x-rate-limit-remaining')!);
    }
    assert.deepEqual(remaining, ['500.0', '400.0', '300.0']);
    // Errors carry them too, and another token has its own bucket.
    const unauth = await fetch(`${sim.url}/api/v1/courses/${courseId}`);
    assert.equal(unauth.status, 401);
    assert.ok(unauth.headers.get('x-rate-limit-remaining'));
    assert.equal((await get(other)).headers.get('x-rate-limit-remaining'), '500.0');
  });

  it('answers 403 "403 Forbidden (Rate Limit Exceeded)" once the bucket is full', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await get(token)).status, 200);
    const res = await get(token);
    assert.equal(res.status, 403);
    assert.equal(await res.text(), '403 Forbidden (Rate Limit Exceeded)\n');
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    assert.equal(res.headers.get('x-rate-limit-remaining'), '0.0');
    assert.equal(res.headers.get('x-request-cost'), null);
    assert.equal((await get(other)).status, 200);
    assert.equal(sim.throttle.throttled, 1);
  });

  it('lets the control API force throttling for every client and lift it', async () => {
    const force = await fetch(`${sim.url}/__control/throttle`, { method: 'POST' });
    assert.equal(force.status, 200);
    assert.equal((await get(token)).status, 403);
    assert.equal((await get(other)).status, 403);
    await fetch(`${sim.url}/__control/throttle`, { method: 'DELETE' });
    assert.equal((await get(token)).status, 200);
  });

  it('leaks the bucket over time at the outflow rate', async () => {
    sim.throttle.settings.outflow = 1_000_000;
    sim.throttle.fill(token);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await get(token)).status, 200);
  });
});

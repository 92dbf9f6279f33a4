// The OAuth2 token endpoint, AGS and NRPS of the Canvas simulator, used as a tool uses them.
import assert from 'node:assert/strict';
import { generateKeyPair } from 'jose';
import type { CanvasChange } from '../state.js';
import {
  accessToken,
  addUser,
  clientAssertion,
  enroll,
  requestToken,
  startSim,
  toolConfiguration,
  type Sim,
} from './fixture.js';
import { SCOPES } from './index.js';

const LINE_ITEM = 'application/vnd.ims.lis.v2.lineitem+json';
const SCORE = 'application/vnd.ims.lis.v1.score+json';

describe('Canvas simulator: LTI Advantage services', function () {
  let sim: Sim;
  let clientId: string;
  const all = [
    SCOPES.lineItem,
    SCOPES.lineItemReadOnly,
    SCOPES.score,
    SCOPES.resultReadOnly,
    SCOPES.nrps,
  ];

  beforeEach(async function () {
    sim = await startSim();
    clientId = sim.platform.installTool(toolConfiguration(sim.tool, all)).registration.clientId;
  });
  afterEach(async function () {
    await sim.close();
  });

  describe('POST /login/oauth2/token', function () {
    it('grants the requested scopes for an assertion signed with the registered key', async function () {
      const answer = await requestToken(
        sim,
        await clientAssertion(sim, clientId),
        `${SCOPES.score} ${SCOPES.nrps}`,
      );
      assert.equal(answer.status, 200);
      const body = (await answer.json()) as Record<string, unknown>;
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(body.scope, `${SCOPES.score} ${SCOPES.nrps}`);
      assert.equal(typeof body.access_token, 'string');
      assert.equal(sim.platform.store.accessTokens.size, 1);
    });

    it('refuses an assertion signed with another key: 400 invalid_request', async function () {
      const { privateKey } = await generateKeyPair('RS256');
      const answer = await requestToken(
        sim,
        await clientAssertion(sim, clientId, { key: privateKey }),
        SCOPES.score,
      );
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), {
        error: 'invalid_request',
        error_description: 'JWS signature invalid.',
      });
    });

    it('refuses an assertion for another audience', async function () {
      const assertion = await clientAssertion(sim, clientId, {
        aud: 'https://elsewhere.example/token',
      });
      const answer = await requestToken(sim, assertion, SCOPES.score);
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), {
        error: 'invalid_request',
        error_description: "the 'aud' is invalid",
      });
    });

    it('refuses a scope the developer key does not have: 400 invalid_scope', async function () {
      const narrow = sim.platform.installTool(toolConfiguration(sim.tool, [SCOPES.nrps]))
        .registration.clientId;
      const answer = await requestToken(sim, await clientAssertion(sim, narrow), SCOPES.score);
      assert.equal(answer.status, 400);
      const body = (await answer.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_scope');
      assert.match(body.error_description, /requested, but not granted: .*lti-ags\/scope\/score/);
    });

    it('refuses other grant types: 400 unsupported_grant_type', async function () {
      const answer = await requestToken(
        sim,
        await clientAssertion(sim, clientId),
        SCOPES.score,
        'password',
      );
      assert.equal(answer.status, 400);
      assert.equal(((await answer.json()) as { error: string }).error, 'unsupported_grant_type');
    });
  });

  describe('AGS', function () {
    const lineItems = () => `${sim.issuer}/api/lti/courses/${sim.course.id}/line_items`;
    const call = (token: string, url: string, init: RequestInit & { type?: string } = {}) =>
      fetch(url, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.type ? { 'content-type': init.type } : {}),
        },
      });

    it('creates a line item, takes a score, shows the result and grades the assignment once', async function () {
      const token = await accessToken(sim, clientId, all);
      const changes: CanvasChange[] = [];
      sim.state.changes.on('change', (c) => changes.push(c));
      const created = await call(token, lineItems(), {
        method: 'POST',
        type: LINE_ITEM,
        body: JSON.stringify({
          scoreMaximum: 10,
          label: 'Forum participation',
          resourceId: 'forum',
          tag: 'cds',
        }),
      });
      assert.equal(created.status, 201);
      assert.match(
        created.headers.get('content-type') ?? '',
        /application\/vnd\.ims\.lis\.v2\.lineitem\+json/,
      );
      const item = (await created.json()) as { id: string; scoreMaximum: number; label: string };
      assert.match(item.id, new RegExp(`^${lineItems()}/\\d+$`));
      assert.equal(item.scoreMaximum, 10);

      const student = sim.students[0]!;
      const score = (timestamp: string, scoreGiven: number) =>
        call(token, `${item.id}/scores`, {
          method: 'POST',
          type: SCORE,
          body: JSON.stringify({
            userId: student.lti_id,
            scoreGiven,
            scoreMaximum: 20,
            activityProgress: 'Completed',
            gradingProgress: 'FullyGraded',
            timestamp,
          }),
        });
      const published = await score('2030-01-01T10:00:00.000Z', 15);
      assert.equal(published.status, 200);
      const { resultUrl } = (await published.json()) as { resultUrl: string };
      assert.match(resultUrl, new RegExp(`^${item.id}/results/\\d+$`));

      const older = await score('2030-01-01T09:59:59.000Z', 3);
      assert.equal(older.status, 400);
      const refusal = (await older.json()) as { errors: { message: string } };
      assert.match(
        refusal.errors.message,
        /before last updated timestamp of 2030-01-01T10:00:00.000Z/,
      );

      const results = await call(token, `${item.id}/results`);
      assert.equal(results.status, 200);
      assert.match(results.headers.get('content-type') ?? '', /resultcontainer\+json/);
      assert.deepEqual(await results.json(), [
        {
          id: resultUrl,
          scoreOf: item.id,
          userId: student.lti_id,
          resultScore: 15,
          resultMaximum: 20,
        },
      ]);

      const assignment = [...sim.state.assignments.values()].find(
        (a) => a.name === 'Forum participation',
      );
      assert.ok(assignment, 'Canvas creates a placeholder assignment for the line item');
      const submission = [...sim.state.submissions.values()].find(
        (s) => s.assignment_id === assignment.id && s.user_id === student.id,
      );
      assert.equal(submission?.score, 7.5); // 15 of 20, on the line item's 10 points
      assert.equal(submission?.workflow_state, 'graded');
      const grades = changes.filter((c) => c.eventName === 'grade_change');
      assert.equal(grades.length, 1);
      assert.equal(grades[0]?.body.score, 7.5);
      assert.equal(grades[0]?.courseId, sim.course.id);
    });

    it('refuses a score for someone who is not a student of the course: 422', async function () {
      const token = await accessToken(sim, clientId, all);
      const item = (await (
        await call(token, lineItems(), {
          method: 'POST',
          type: LINE_ITEM,
          body: JSON.stringify({ scoreMaximum: 1, label: 'x' }),
        })
      ).json()) as { id: string };
      const answer = await call(token, `${item.id}/scores`, {
        method: 'POST',
        type: SCORE,
        body: JSON.stringify({
          userId: sim.teacher.lti_id,
          activityProgress: 'Completed',
          gradingProgress: 'FullyGraded',
          timestamp: new Date().toISOString(),
        }),
      });
      assert.equal(answer.status, 422);
      assert.deepEqual(await answer.json(), {
        errors: {
          type: 'unprocessable_entity',
          message: 'User not found in course or is not a student',
        },
      });
    });

    it('pages line items with a Link header and updates and deletes them', async function () {
      const token = await accessToken(sim, clientId, all);
      for (const label of ['a', 'b', 'c']) {
        await call(token, lineItems(), {
          method: 'POST',
          type: LINE_ITEM,
          body: JSON.stringify({ scoreMaximum: 5, label }),
        });
      }
      const first = await call(token, `${lineItems()}?limit=2`);
      assert.match(first.headers.get('content-type') ?? '', /lineitemcontainer\+json/);
      const page1 = (await first.json()) as Array<{ id: string; label: string }>;
      assert.deepEqual(
        page1.map((i) => i.label),
        ['a', 'b'],
      );
      const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
      assert.ok(next);
      const page2 = (await (await call(token, next)).json()) as Array<{ label: string }>;
      assert.deepEqual(
        page2.map((i) => i.label),
        ['c'],
      );

      const target = page1[0]!.id;
      const updated = await call(token, target, {
        method: 'PUT',
        type: LINE_ITEM,
        body: JSON.stringify({ label: 'a2' }),
      });
      assert.equal(((await updated.json()) as { label: string }).label, 'a2');
      assert.equal((await call(token, target, { method: 'DELETE' })).status, 204);
      assert.equal((await call(token, target)).status, 404);
    });

    it('answers 401 without a token, and 401 Insufficient permissions without the scope', async function () {
      const none = await fetch(lineItems());
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), {
        errors: { type: 'unauthorized', message: 'Missing access token' },
      });
      const nrpsOnly = await accessToken(sim, clientId, [SCOPES.nrps]);
      const denied = await call(nrpsOnly, lineItems(), {
        method: 'POST',
        type: LINE_ITEM,
        body: JSON.stringify({ scoreMaximum: 1, label: 'x' }),
      });
      assert.equal(denied.status, 401);
      assert.deepEqual(await denied.json(), {
        errors: { type: 'unauthorized', message: 'Insufficient permissions' },
      });
    });
  });

  describe('NRPS', function () {
    it('lists the members with LIS roles, page by page following rel="next"', async function () {
      const extra = addUser(sim.state, 'Olive Observer');
      enroll(sim.state, sim.course.id, extra.id, 'ObserverEnrollment');
      const token = await accessToken(sim, clientId, [SCOPES.nrps]);
      let url: string | undefined =
        `${sim.issuer}/api/lti/courses/${sim.course.id}/names_and_roles?limit=2`;
      const members: Array<Record<string, unknown>> = [];
      let pages = 0;
      while (url) {
        const answer = await fetch(url, {
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json',
          },
        });
        assert.equal(answer.status, 200);
        assert.match(
          answer.headers.get('content-type') ?? '',
          /application\/vnd\.ims\.lti-nrps\.v2\.membershipcontainer\+json/,
        );
        const body = (await answer.json()) as {
          context: { label: string };
          members: Array<Record<string, unknown>>;
        };
        assert.equal(body.context.label, 'SYNC-101');
        assert.ok(body.members.length <= 2);
        members.push(...body.members);
        pages += 1;
        url = /<([^>]+)>; rel="next"/.exec(answer.headers.get('link') ?? '')?.[1];
      }
      assert.equal(pages, 2);
      assert.deepEqual(
        members.map((m) => [m.user_id, m.roles, m.status]),
        [
          [
            sim.teacher.lti_id,
            ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'],
            'Active',
          ],
          [
            sim.students[0]!.lti_id,
            ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
            'Active',
          ],
          [
            sim.students[1]!.lti_id,
            ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
            'Active',
          ],
          [extra.lti_id, ['http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor'], 'Active'],
        ],
      );
      assert.equal(members[0]?.name, 'Tess Teacher');
      assert.equal(members[0]?.email, sim.teacher.email);
    });

    it('filters by role and refuses a token without the NRPS scope', async function () {
      const token = await accessToken(sim, clientId, [SCOPES.nrps]);
      const base = `${sim.issuer}/api/lti/courses/${sim.course.id}/names_and_roles`;
      const learners = (await (
        await fetch(`${base}?role=Learner`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { members: unknown[] };
      assert.equal(learners.members.length, 2);
      const scoreOnly = await accessToken(sim, clientId, [SCOPES.score]);
      const denied = await fetch(base, { headers: { authorization: `Bearer ${scoreOnly}` } });
      assert.equal(denied.status, 401);
    });
  });
});

// The LTI 1.3 launch of the Canvas simulator, checked as a strict relying party (jose) would.
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import {
  authenticate,
  launch,
  parseForm,
  startSim,
  toolConfiguration,
  type Sim,
} from './fixture.js';
import {
  AGS_CLAIM,
  LTI,
  NRPS_CLAIM,
  PLACEMENT_CLAIM,
  SCOPES,
  type LaunchForgery,
} from './index.js';

const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership#';

describe('Canvas simulator: LTI 1.3 launch', function () {
  let sim: Sim;
  let clientId: string;
  let deploymentId: string;

  beforeEach(async function () {
    sim = await startSim();
    const installed = sim.platform.installTool(
      toolConfiguration(sim.tool, [
        SCOPES.lineItem,
        SCOPES.score,
        SCOPES.resultReadOnly,
        SCOPES.nrps,
      ]),
      [sim.tool.launchUrl],
    );
    clientId = installed.registration.clientId;
    deploymentId = installed.deployment.deploymentId;
  });
  afterEach(async function () {
    await sim.close();
  });

  /** What a strict tool checks: signature by the platform's JWKS, iss, aud, exp, RS256. */
  async function verify(idToken: string): Promise<JWTPayload> {
    const jwks = createRemoteJWKSet(new URL(`${sim.issuer}/api/lti/security/jwks`));
    const { payload, protectedHeader } = await jwtVerify(idToken, jwks, {
      issuer: sim.issuer,
      audience: clientId,
      algorithms: ['RS256'],
    });
    assert.equal(protectedHeader.alg, 'RS256');
    return payload;
  }

  it('sends the login initiation Canvas sends, to the oidc_initiation_url', async function () {
    const page = await fetch(
      sim.platform.launchUrl({ courseId: sim.course.id, clientId, userId: sim.teacher.id }),
    );
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const { action, fields } = parseForm(await page.text());
    assert.equal(action, sim.tool.loginUrl);
    assert.equal(fields.iss, sim.issuer);
    assert.equal(fields.client_id, clientId);
    assert.equal(fields.lti_deployment_id, deploymentId);
    assert.equal(fields.deployment_id, deploymentId);
    assert.equal(fields.target_link_uri, `${sim.tool.launchUrl}?placement=course_navigation`);
    assert.equal(fields.lti_storage_target, 'post_message_forwarding');
    assert.ok(fields.login_hint && fields.lti_message_hint);
  });

  it('answers the authentication request with a form_post of a signed id_token with every claim', async function () {
    const { post, nonce, state, answer } = await launch(sim, { clientId, userId: sim.teacher.id });
    assert.equal(answer.status, 200);
    assert.equal(post.action, sim.tool.launchUrl);
    assert.equal(post.fields.state, state);
    assert.equal(post.fields.lti_storage_target, 'post_message_forwarding');
    const claims = await verify(post.fields.id_token ?? '');

    assert.equal(claims.sub, sim.teacher.lti_id);
    assert.equal(claims.azp, clientId);
    assert.equal(claims.nonce, nonce);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
    assert.equal(claims[`${LTI}message_type`], 'LtiResourceLinkRequest');
    assert.equal(claims[`${LTI}version`], '1.3.0');
    assert.equal(claims[`${LTI}deployment_id`], deploymentId);
    assert.equal(
      claims[`${LTI}target_link_uri`],
      `${sim.tool.launchUrl}?placement=course_navigation`,
    );
    const context = claims[`${LTI}context`] as Record<string, unknown>;
    assert.equal(context.label, 'SYNC-101');
    assert.equal(context.title, 'Introduction to Sync');
    assert.deepEqual(context.type, [
      'http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering',
    ]);
    assert.match(String(context.id), /^[0-9a-f]{40}$/);
    assert.equal((claims[`${LTI}resource_link`] as Record<string, unknown>).id, context.id);
    const roles = claims[`${LTI}roles`] as string[];
    assert.ok(roles.includes(`${MEMBERSHIP}Instructor`));
    assert.ok(
      roles.includes('http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor'),
    );
    assert.ok(!roles.includes(`${MEMBERSHIP}Learner`));
    assert.deepEqual(claims[`${LTI}custom`], {
      canvas_course: String(sim.course.id),
      unknown: '$No.such.variable',
      role_list: 'TeacherEnrollment',
    });
    assert.deepEqual(claims[`${LTI}lis`], {
      person_sourcedid: sim.teacher.sis_user_id,
      course_offering_sourcedid: 'SIS-SYNC-101',
    });
    const platform = claims[`${LTI}tool_platform`] as Record<string, unknown>;
    assert.equal(platform.product_family_code, 'canvas');
    assert.equal(
      (claims[`${LTI}launch_presentation`] as Record<string, unknown>).document_target,
      'iframe',
    );
    assert.deepEqual(claims[AGS_CLAIM], {
      scope: [SCOPES.lineItem, SCOPES.score, SCOPES.resultReadOnly],
      lineitems: `${sim.issuer}/api/lti/courses/${sim.course.id}/line_items`,
    });
    assert.deepEqual(claims[NRPS_CLAIM], {
      context_memberships_url: `${sim.issuer}/api/lti/courses/${sim.course.id}/names_and_roles`,
      service_versions: ['2.0'],
    });
    assert.equal(claims[PLACEMENT_CLAIM], 'course_navigation');
    assert.equal(claims.name, 'Tess Teacher');
    assert.equal(claims.email, sim.teacher.email);
  });

  it("gives a student Learner roles and the student's own sub", async function () {
    const student = sim.students[0]!;
    const { post } = await launch(sim, { clientId, userId: student.id });
    const claims = await verify(post.fields.id_token ?? '');
    assert.equal(claims.sub, student.lti_id);
    const roles = claims[`${LTI}roles`] as string[];
    assert.ok(roles.includes(`${MEMBERSHIP}Learner`));
    assert.ok(!roles.includes(`${MEMBERSHIP}Instructor`));
  });

  it('serves the course page with the tool iframe and the platform storage frame', async function () {
    const page = await fetch(
      sim.platform.coursePageUrl({ courseId: sim.course.id, clientId, userId: sim.teacher.id }),
    );
    const html = await page.text();
    assert.match(
      html,
      /<iframe name="tool_content"[^>]*src="\/courses\/\d+\/external_tools\/\d+\/launch\?user_id=/,
    );
    assert.match(html, /name="post_message_forwarding"/);
    const frame = await (await fetch(`${sim.issuer}/post_message_forwarding`)).text();
    assert.match(frame, /lti\.put_data\.response/);
    assert.match(frame, /lti\.get_data\.response/);
  });

  describe('when the authentication request is wrong', function () {
    async function login() {
      const page = await fetch(
        sim.platform.launchUrl({ courseId: sim.course.id, clientId, userId: sim.teacher.id }),
      );
      const { fields } = parseForm(await page.text());
      return {
        client_id: fields.client_id ?? '',
        redirect_uri: sim.tool.launchUrl,
        login_hint: fields.login_hint ?? '',
        lti_message_hint: fields.lti_message_hint ?? '',
        nonce: 'n-1',
        state: 's-1',
      };
    }

    it('refuses a redirect_uri the developer key does not list, with 400', async function () {
      const answer = await authenticate(sim.issuer, {
        ...(await login()),
        redirect_uri: 'https://evil.example/launch',
      });
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), { errors: [{ message: 'Invalid redirect_uri' }] });
    });

    it('refuses a forged lti_message_hint, with 400', async function () {
      const answer = await authenticate(sim.issuer, {
        ...(await login()),
        lti_message_hint: 'x.y.z',
      });
      assert.equal(answer.status, 400);
      assert.deepEqual(await answer.json(), { errors: [{ message: 'Invalid lti_message_hint' }] });
    });

    it('posts invalid_request_object back when scope is not openid', async function () {
      const answer = await authenticate(sim.issuer, await login(), { scope: 'profile' });
      const { action, fields } = parseForm(await answer.text());
      assert.equal(action, sim.tool.launchUrl);
      assert.deepEqual(fields, {
        error: 'invalid_request_object',
        error_description: "The 'scope' must be 'openid'",
        state: 's-1',
      });
    });

    it('posts login_required back when the login_hint is not the user of the launch', async function () {
      const answer = await authenticate(sim.issuer, {
        ...(await login()),
        login_hint: 'someone-else',
      });
      const { fields } = parseForm(await answer.text());
      assert.equal(fields.error, 'login_required');
      assert.equal(fields.id_token, undefined);
    });

    it('posts launch_no_longer_valid back when a launch is used twice', async function () {
      const params = await login();
      const first = parseForm(await (await authenticate(sim.issuer, params)).text());
      assert.ok(first.fields.id_token);
      const second = parseForm(await (await authenticate(sim.issuer, params)).text());
      assert.equal(second.fields.error, 'launch_no_longer_valid');
      assert.equal(second.fields.id_token, undefined);
    });
  });

  it('refuses to launch for a user who is not in the course', async function () {
    const page = await fetch(
      sim.platform.launchUrl({ courseId: sim.course.id, clientId, userId: 999999 }),
    );
    assert.equal(page.status, 401);
  });

  describe('test-only forgeries, each caught by a strict tool', function () {
    async function forged(forge: LaunchForgery) {
      return launch(sim, { clientId, userId: sim.teacher.id, forge });
    }
    const refusedWith = async (forge: LaunchForgery, code: string) => {
      const { post } = await forged(forge);
      await assert.rejects(
        verify(post.fields.id_token ?? ''),
        (e: { code?: string }) => e.code === code,
      );
    };

    it('wrong_aud: the audience is another client', () =>
      refusedWith('wrong_aud', 'ERR_JWT_CLAIM_VALIDATION_FAILED'));
    it('wrong_iss: the issuer is not the platform', () =>
      refusedWith('wrong_iss', 'ERR_JWT_CLAIM_VALIDATION_FAILED'));
    it('expired: exp is in the past', () => refusedWith('expired', 'ERR_JWT_EXPIRED'));
    it('bad_signature: signed by a key not in the JWKS', () =>
      refusedWith('bad_signature', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'));

    it('reused_nonce: the nonce of the previous launch comes back', async function () {
      const first = await launch(sim, { clientId, userId: sim.teacher.id });
      const second = await forged('reused_nonce');
      const claims = await verify(second.post.fields.id_token ?? '');
      assert.equal(claims.nonce, first.nonce);
      assert.notEqual(claims.nonce, second.nonce);
    });

    it('unknown_deployment: a deployment_id the platform never issued', async function () {
      const { post } = await forged('unknown_deployment');
      const claims = await verify(post.fields.id_token ?? '');
      assert.notEqual(claims[`${LTI}deployment_id`], deploymentId);
      assert.equal(
        sim.platform.store.deployments.has(String(claims[`${LTI}deployment_id`])),
        false,
      );
    });

    it('bad_state: the state posted back is not the one sent', async function () {
      const { post, state } = await forged('bad_state');
      assert.notEqual(post.fields.state, state);
      assert.equal(decodeJwt(post.fields.id_token ?? '').sub, sim.teacher.lti_id);
    });
  });
});

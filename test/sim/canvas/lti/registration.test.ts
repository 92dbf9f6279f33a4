// Dynamic Registration (IMS LTI-DR 1.0 as Canvas implements it) and the manual developer-key install.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { accessToken, launch, startSim, type Sim } from './fixture.js';
import { LTI, SCOPES, type CanvasToolConfiguration } from './index.js';

const TOOL_CONFIG = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
const REFERENCE = new URL(
  '../../../../../shared/reference/canvas-lms/lti/tool_configuration.example.json',
  import.meta.url,
);

describe('Canvas simulator: LTI registration', function () {
  let sim: Sim;
  beforeEach(async function () {
    sim = await startSim();
  });
  afterEach(async function () {
    await sim.close();
  });

  function registrationBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      application_type: 'web',
      client_name: 'Canvas Discourse Sync',
      grant_types: ['client_credentials', 'implicit'],
      response_types: ['id_token'],
      initiate_login_uri: sim.tool.loginUrl,
      redirect_uris: [sim.tool.launchUrl],
      jwks_uri: sim.tool.jwksUrl,
      token_endpoint_auth_method: 'private_key_jwt',
      scope: [SCOPES.lineItem, SCOPES.score, SCOPES.resultReadOnly, SCOPES.nrps].join(' '),
      [TOOL_CONFIG]: {
        domain: new URL(sim.tool.origin).host,
        target_link_uri: sim.tool.launchUrl,
        claims: ['sub', 'iss', 'name', 'email'],
        messages: [
          {
            type: 'LtiResourceLinkRequest',
            label: 'Sync status',
            placements: ['course_navigation'],
            target_link_uri: `${sim.tool.launchUrl}?placement=course_navigation`,
            'https://canvas.instructure.com/lti/visibility': 'admins',
          },
        ],
      },
      ...overrides,
    };
  }

  /** What the tool does with the start URL: read the configuration, then register. */
  async function register(body: Record<string, unknown>) {
    const start = new URL(
      await sim.platform.registrationStartUrl(`${sim.tool.origin}/lti/register`),
    );
    const configurationUrl = start.searchParams.get('openid_configuration') ?? '';
    const token = start.searchParams.get('registration_token') ?? '';
    const configuration = await fetch(configurationUrl, {
      headers: { authorization: `Bearer ${token}` },
    });
    const config = (await configuration.json()) as Record<string, unknown>;
    const answer = await fetch(String(config.registration_endpoint), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { start, configurationUrl, token, config, answer };
  }

  it('opens the tool registration URL with openid_configuration and registration_token', async function () {
    const start = new URL(
      await sim.platform.registrationStartUrl(`${sim.tool.origin}/lti/register?x=1`),
    );
    assert.equal(start.origin + start.pathname, `${sim.tool.origin}/lti/register`);
    assert.equal(start.searchParams.get('x'), '1');
    assert.equal(
      start.searchParams.get('openid_configuration'),
      `${sim.issuer}/api/lti/security/openid-configuration`,
    );
    assert.ok(start.searchParams.get('registration_token'));
  });

  it('registers a tool end to end; the registration launches and gets tokens', async function () {
    const { config, answer, token } = await register(registrationBody());
    assert.equal(config.issuer, sim.issuer);
    assert.equal(config.authorization_endpoint, `${sim.issuer}/api/lti/authorize_redirect`);
    assert.equal(config.token_endpoint, `${sim.issuer}/login/oauth2/token`);
    assert.equal(config.jwks_uri, `${sim.issuer}/api/lti/security/jwks`);
    assert.equal(config.registration_endpoint, `${sim.issuer}/api/lti/registrations`);
    assert.ok((config.scopes_supported as string[]).includes(SCOPES.score));
    const platformConfig = config[
      'https://purl.imsglobal.org/spec/lti-platform-configuration'
    ] as Record<string, unknown>;
    assert.equal(platformConfig.product_family_code, 'canvas');
    const messages = platformConfig.messages_supported as Array<{
      type: string;
      placements: string[];
    }>;
    assert.ok(
      messages
        .find((m) => m.type === 'LtiResourceLinkRequest')
        ?.placements.includes('course_navigation'),
    );
    assert.ok((platformConfig.variables as string[]).includes('Canvas.course.id'));

    assert.equal(answer.status, 200);
    const registered = (await answer.json()) as Record<string, unknown>;
    const clientId = String(registered.client_id);
    const deploymentId = String((registered[TOOL_CONFIG] as Record<string, unknown>).deployment_id);
    assert.match(clientId, /^\d{14}$/);
    assert.match(deploymentId, /^\d+:[0-9a-f]{40}$/);
    assert.equal(registered.client_name, 'Canvas Discourse Sync');
    assert.equal(sim.platform.store.deployments.get(deploymentId)?.clientId, clientId);

    // The one-time token is spent.
    const again = await fetch(`${sim.issuer}/api/lti/registrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody()),
    });
    assert.equal(again.status, 401);

    const { post } = await launch(sim, { clientId, userId: sim.teacher.id });
    const jwks = createRemoteJWKSet(new URL(String(config.jwks_uri)));
    const { payload } = await jwtVerify(post.fields.id_token ?? '', jwks, {
      issuer: sim.issuer,
      audience: clientId,
    });
    assert.equal(payload[`${LTI}deployment_id`], deploymentId);
    assert.equal(
      payload[`${LTI}target_link_uri`],
      `${sim.tool.launchUrl}?placement=course_navigation`,
    );
    assert.ok(await accessToken(sim, clientId, [SCOPES.score, SCOPES.nrps]));
  });

  it('refuses the configuration and the registration without a valid registration token', async function () {
    const configuration = await fetch(`${sim.issuer}/api/lti/security/openid-configuration`);
    assert.equal(configuration.status, 401);
    const forged = await fetch(`${sim.issuer}/api/lti/registrations`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody()),
    });
    assert.equal(forged.status, 401);
    assert.equal(sim.platform.store.registrations.size, 0);
  });

  it('refuses a registration that breaks the schema, naming each problem (422)', async function () {
    const { answer } = await register(
      registrationBody({
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['implicit'],
        scope: 'https://example.com/scope/everything',
      }),
    );
    assert.equal(answer.status, 422);
    const messages = ((await answer.json()) as { errors: Array<{ message: string }> }).errors.map(
      (e) => e.message,
    );
    assert.deepEqual(messages, [
      'grant_types must include "client_credentials"',
      'token_endpoint_auth_method must be "private_key_jwt"',
      'scope https://example.com/scope/everything is not supported',
    ]);
    assert.equal(sim.platform.store.registrations.size, 0);
  });

  it('installs the reference developer-key JSON by hand, with its placements and public JWK', function () {
    const config = JSON.parse(readFileSync(REFERENCE, 'utf8')) as CanvasToolConfiguration;
    const { registration, deployment } = sim.platform.installTool(config);
    assert.equal(registration.initiateLoginUri, 'https://your.oidc_initiation_url');
    assert.deepEqual(
      registration.placements.map((p) => p.placement),
      ['user_navigation', 'editor_button', 'course_navigation'],
    );
    assert.equal(registration.publicJwk?.kid, '8f796169-0ac4-48a3-a202-fa4f3d814fcd');
    assert.deepEqual(registration.scopes, config.scopes);
    assert.equal(deployment.contextType, 'Account');
  });
});

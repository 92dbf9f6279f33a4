// The LTI tool on both databases: its public routes, platforms that outlive a restart, launches
// from unregistered deployments refused, and dynamic registration with the course_navigation
// placement. The platform side is a few routes here, with jose-signed id_tokens (RS256, as Canvas).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { createTestDatabase, TEST_DIALECTS, type TestDatabase } from '@cds/relay/testing';
import { createLtiTool, type LtiTool } from './tool.js';
import { canvasToolConfiguration } from './routes/config-json.js';

const KEY = 'test-lti-key-0123456789abcdef';
const PUBLIC_URL = 'http://localhost:8081';
const CLIENT_ID = '10000000000001';
const DEPLOYMENT = '1:8865aa05b4b79b64a91a86042e43af5ea8ae79eb';
const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A platform's key set and signer, served on this machine. */
async function platformKeys(): Promise<{
  jwksUrl: string;
  sign: (claims: object) => Promise<string>;
  close: () => void;
}> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'platform-key-1', alg: 'RS256', use: 'sig' };
  const app = express();
  app.get('/jwks', (_req, res) => res.json({ keys: [jwk] }));
  const { url, server } = await listen(app);
  const sign = (claims: object) =>
    new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey as CryptoKey);
  return { jwksUrl: `${url}/jwks`, sign, close: () => server.close() };
}

for (const dialect of TEST_DIALECTS) {
  describe(`the LTI tool (${dialect})`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    const tools: LtiTool[] = [];
    const open = async () => {
      const tool = await createLtiTool({
        key: KEY,
        databaseUrl: database.url,
        publicUrl: PUBLIC_URL,
      });
      tools.push(tool);
      return tool;
    };

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
    });
    afterEach(async () => {
      for (const tool of tools.splice(0)) await tool.close();
      await database.dispose();
    });

    describe('its routes', () => {
      it('serves /lti/config.json without an LTI session, built from its public URL', async () => {
        const tool = await open();
        const res = await request(tool.app).get('/lti/config.json').expect(200);
        assert.deepEqual(res.body, canvasToolConfiguration(PUBLIC_URL));
      });

      it('lets Live Events reach POST /v1/intake/canvas without an LTI session', async () => {
        const tool = await open();
        tool.app.post('/v1/intake/canvas', (_req, res) => res.status(202).json({ ok: true }));
        await request(tool.app).post('/v1/intake/canvas').send({}).expect(202);
      });

      it("keeps ltijs's guard on every other route", async () => {
        const tool = await open();
        tool.app.get('/lti/private', (_req, res) => res.json({ leaked: true }));
        const res = await request(tool.app).get('/lti/private').expect(401);
        assert.equal(res.body.details.message, 'NO_LTIK_OR_IDTOKEN_FOUND');
        await request(tool.app).post('/v1/intake/other').expect(401);
      });
    });

    describe('a registered platform', () => {
      it('is found again, with its deployment and key pair, after a restart', async () => {
        const first = await open();
        const added = await first.platforms.add({
          issuer: 'https://canvas.instructure.com',
          clientId: CLIENT_ID,
          deploymentIds: [DEPLOYMENT],
          authUrl: 'https://sso.canvaslms.com/api/lti/authorize_redirect',
          tokenUrl: 'https://sso.canvaslms.com/login/oauth2/token',
          jwksUrl: 'https://sso.canvaslms.com/api/lti/security/jwks',
        });
        assert.deepEqual(added, { created: true, deploymentsAdded: [DEPLOYMENT] });
        const before = await first.platforms.list();
        await first.close();

        const second = await open();
        assert.deepEqual(await second.platforms.list(), before);
        assert.deepEqual(before[0]!.deploymentIds, [DEPLOYMENT]);
        const keys = await request(second.app).get('/lti/keys').expect(200);
        assert.deepEqual(
          keys.body.keys.map((k: { kid: string }) => k.kid),
          [before[0]!.keyId],
        );
      });
    });

    describe('a launch', () => {
      let platform: Awaited<ReturnType<typeof platformKeys>>;
      beforeEach(async () => {
        platform = await platformKeys();
      });
      afterEach(() => platform.close());

      /** OIDC login, then the id_token posted back with the state, as a browser would. */
      async function launch(tool: LtiTool, deploymentId: string, accept = 'text/html') {
        const agent = request.agent(tool.app);
        const login = await agent
          .get('/lti/login')
          .query({
            iss: 'https://canvas.test',
            login_hint: 'user-1',
            target_link_uri: `${PUBLIC_URL}/lti/launch`,
            client_id: CLIENT_ID,
            lti_deployment_id: deploymentId,
          })
          .expect(302);
        const auth = new URL(login.headers.location as string);
        assert.equal(auth.origin + auth.pathname, 'https://canvas.test/api/lti/authorize_redirect');
        const idToken = await platform.sign({
          iss: 'https://canvas.test',
          aud: CLIENT_ID,
          sub: 'user-1',
          nonce: auth.searchParams.get('nonce'),
          [`${LTI}message_type`]: 'LtiResourceLinkRequest',
          [`${LTI}version`]: '1.3.0',
          [`${LTI}deployment_id`]: deploymentId,
          [`${LTI}target_link_uri`]: `${PUBLIC_URL}/lti/launch`,
          [`${LTI}resource_link`]: { id: 'course-nav-1' },
          [`${LTI}roles`]: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'],
          [`${LTI}context`]: { id: 'ctx-1', title: 'Biology 101' },
        });
        return agent
          .post('/lti/launch')
          .type('form')
          .set('Accept', accept)
          .send({ id_token: idToken, state: auth.searchParams.get('state') });
      }

      async function toolWithPlatform(): Promise<LtiTool> {
        const tool = await open();
        await tool.platforms.add({
          issuer: 'https://canvas.test',
          clientId: CLIENT_ID,
          deploymentIds: [DEPLOYMENT],
          authUrl: 'https://canvas.test/api/lti/authorize_redirect',
          tokenUrl: 'https://canvas.test/login/oauth2/token',
          jwksUrl: platform.jwksUrl,
        });
        return tool;
      }

      it('from a registered deployment is accepted and opens the course page', async () => {
        const tool = await toolWithPlatform();
        const res = await launch(tool, DEPLOYMENT);
        assert.equal(res.status, 302, res.text);
        assert.match(res.headers.location as string, /^\/lti\/launch\?ltik=/);
      });

      it('from a deployment that was never registered is refused, naming it and the fix', async () => {
        const tool = await toolWithPlatform();
        const res = await launch(tool, '2:unregistered', 'application/json');
        assert.equal(res.status, 403, res.text);
        assert.equal(res.body.error.code, 'ERR_FORBIDDEN');
        assert.match(
          res.body.error.message,
          /deployment "2:unregistered" of https:\/\/canvas\.test/,
        );
        assert.match(res.body.error.message, /not registered/);
        assert.match(
          res.body.error.message,
          /cds lti platforms add .*--deployment-id 2:unregistered/,
        );
      });
    });

    describe('dynamic registration', () => {
      it('fetches the configuration with the registration token and registers course_navigation for instructors', async () => {
        let registration: Record<string, unknown> | undefined;
        const platformApp = express();
        platformApp.use(express.json());
        const bearer = (req: express.Request) => req.headers.authorization === 'Bearer reg-token';
        let base = '';
        platformApp.get('/api/lti/security/openid-configuration', (req, res) => {
          if (!bearer(req))
            return void res.status(401).json({ error: 'registration token required' });
          res.json({
            issuer: base,
            authorization_endpoint: `${base}/api/lti/authorize_redirect`,
            registration_endpoint: `${base}/api/lti/registrations`,
            jwks_uri: `${base}/api/lti/security/jwks`,
            token_endpoint: `${base}/login/oauth2/token`,
            authorization_server: 'canvas.test',
            'https://purl.imsglobal.org/spec/lti-platform-configuration': {
              product_family_code: 'canvas',
            },
          });
        });
        platformApp.post('/api/lti/registrations', (req, res) => {
          if (!bearer(req))
            return void res.status(401).json({ error: 'registration token required' });
          registration = req.body as Record<string, unknown>;
          res.json({ ...registration, client_id: '10000000000042' });
        });
        const { url, server } = await listen(platformApp);
        base = url;
        try {
          const tool = await open();
          const res = await request(tool.app)
            .get('/lti/register')
            .query({
              openid_configuration: `${url}/api/lti/security/openid-configuration`,
              registration_token: 'reg-token',
            })
            .expect(200);
          assert.match(res.text, /org\.imsglobal\.lti\.close/);
          const config = registration![
            'https://purl.imsglobal.org/spec/lti-tool-configuration'
          ] as {
            messages: Array<Record<string, unknown>>;
          };
          assert.deepEqual(
            config.messages.map((m) => m.placements),
            [['course_navigation']],
          );
          assert.equal(
            config.messages[0]!['https://canvas.instructure.com/lti/visibility'],
            'admins',
          );
          assert.equal(
            config.messages[0]![
              'https://canvas.instructure.com/lti/course_navigation/default_enabled'
            ],
            true,
          );
          for (const scope of [
            'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
            'https://purl.imsglobal.org/spec/lti-ags/scope/score',
            'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
            'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
          ])
            assert.ok(String(registration!.scope).split(' ').includes(scope), scope);
          const registered = await tool.platforms.get(url, '10000000000042');
          assert.equal(registered?.jwksUrl, `${url}/api/lti/security/jwks`);
          assert.deepEqual(registered?.deploymentIds, []);
        } finally {
          server.close();
        }
      });
    });
  });
}

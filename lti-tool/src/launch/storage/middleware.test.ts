// The platform-storage launch around a stand-in for ltijs: what reaches "ltijs" and what the
// browser is answered at each step. The Chromium test (test/lti/launch-no-cookies.e2e.test.ts)
// runs the real pages against the simulator's storage frame and the real ltijs.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import express, { type Request } from 'express';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '@cds/relay/testing';
import { setUpQuietly } from '../../../../test/support/lti-database.js';
import { openLtiDatabase } from '../../db/database.js';
import { cookielessSession } from './ltik.js';
import { installPlatformStorage } from './middleware.js';
import { RETURN_FIELDS } from './protocol.js';

const KEY = 'storage-test-key-0123456789abcdef';
const TOOL = 'https://tool.example';
const PLATFORM = 'https://sso.canvas.test';
const ISSUER = 'https://canvas.test';
const STATE = 's'.repeat(50);
const NONCE = 'abc123nonce';

function hs256(claims: Record<string, unknown>): string {
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${header}.${payload}.${createHmac('sha256', KEY).update(`${header}.${payload}`).digest('base64url')}`;
}

/** An id_token as far as these steps read it (ltijs verifies the signature after them). */
const idToken = (nonce = NONCE) =>
  `e30.${Buffer.from(JSON.stringify({ iss: ISSUER, nonce })).toString('base64url')}.sig`;

interface SeenByLtijs {
  body: unknown;
  stateCookie: unknown;
  sessionCookie: unknown;
}

describe("launches through the platform's storage (around ltijs)", function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let lti: ReturnType<typeof openLtiDatabase>;
  let app: express.Express;
  let clock: number;
  let seen: SeenByLtijs[];

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    lti = openLtiDatabase(database.url);
    clock = Date.now();
    seen = [];
    app = express();
    app.use(express.urlencoded({ extended: false }));
    // What ltijs's server does before its add-ons: signed cookies (here from a test header) and the ltik.
    app.use((req, _res, next) => {
      const r = req as Request & { signedCookies: Record<string, unknown>; token?: string };
      r.signedCookies = JSON.parse(req.get('x-test-cookies') ?? '{}') as Record<string, unknown>;
      if (typeof req.query.ltik === 'string') r.token = req.query.ltik;
      next();
    });
    installPlatformStorage(app, {
      key: KEY,
      publicUrl: `${TOOL}/`,
      sequelize: lti.db,
      loginRoute: '/lti/login',
      now: () => clock,
    });
    // ltijs's login: a state cookie and a redirect to the platform with state and nonce.
    app.all('/lti/login', (_req, res) => {
      res.redirect(
        `${PLATFORM}/api/lti/authorize_redirect?state=${STATE}&nonce=${NONCE}&scope=openid`,
      );
    });
    // ltijs's launch: what it was given, then its redirect with an ltik.
    app.post('/lti/launch', (req, res) => {
      const r = req as Request & { signedCookies: Record<string, unknown> };
      seen.push({
        body: req.body,
        stateCookie: r.signedCookies[`state${STATE}`],
        sessionCookie: undefined,
      });
      res.redirect(
        `/lti/launch?${new URLSearchParams({ ltik: hs256({ platformCode: 'ltiP', user: '7', s: STATE }) })}`,
      );
    });
    app.get('/lti/launch', (req, res) => {
      const r = req as Request & { signedCookies: Record<string, unknown> };
      res.json({ session: r.signedCookies.ltiP ?? null });
    });
    await setUpQuietly(lti);
  });
  afterEach(async () => {
    await lti.Close();
    await database.dispose();
  });

  const login = () =>
    request(app)
      .post('/lti/login')
      .type('form')
      .send({
        iss: ISSUER,
        login_hint: 'u',
        target_link_uri: `${TOOL}/lti/launch`,
        lti_storage_target: 'post_message_forwarding',
      });
  const formPost = (cookies: Record<string, string> = {}) =>
    request(app)
      .post('/lti/launch')
      .set('x-test-cookies', JSON.stringify(cookies))
      .type('form')
      .send({ id_token: idToken(), state: STATE, lti_storage_target: 'post_message_forwarding' });
  const confirm = (stored: { state?: string; nonce?: string }, origin = TOOL) =>
    request(app)
      .post('/lti/launch')
      .set('origin', origin)
      .type('form')
      .send({
        state: STATE,
        [RETURN_FIELDS.marker]: '1',
        [RETURN_FIELDS.state]: stored.state ?? '',
        [RETURN_FIELDS.nonce]: stored.nonce ?? '',
        [RETURN_FIELDS.problem]: '',
      });

  it('answers a login that offers platform storage with a page storing state and nonce, then going on', async () => {
    const res = await login().expect(200).expect('content-type', /html/);
    const config = JSON.parse(/id="cds-storage-config">(.*?)<\/script>/s.exec(res.text)![1]!) as {
      next: string;
      platformOrigin: string;
      target: string;
      items: unknown;
    };
    assert.equal(
      config.next,
      `${PLATFORM}/api/lti/authorize_redirect?state=${STATE}&nonce=${NONCE}&scope=openid`,
    );
    assert.equal(config.platformOrigin, PLATFORM);
    assert.equal(config.target, 'post_message_forwarding');
    assert.deepEqual(config.items, [
      { key: `state_${STATE}`, value: STATE },
      { key: `nonce_${NONCE}`, value: NONCE },
    ]);
    assert.match(res.text, /'lti\.put_data'/);
  });

  it("leaves ltijs's login and a launch with its state cookie as they are", async () => {
    await request(app).post('/lti/login').type('form').send({ iss: ISSUER }).expect(302);
    await login().expect(200);
    await formPost({ [`state${STATE}`]: ISSUER }).expect(302);
    assert.deepEqual(
      seen.map((s) => s.stateCookie),
      [ISSUER],
    );
  });

  it('asks the platform storage when the state cookie is missing, without putting the id_token in the page', async () => {
    await login().expect(200);
    const res = await formPost().expect(200);
    assert.match(res.text, /'lti\.get_data'/);
    assert.ok(res.text.includes(`state_${STATE}`) && res.text.includes(`nonce_${NONCE}`));
    assert.ok(!res.text.includes(idToken()), 'no id_token in the page');
    assert.deepEqual(seen, [], 'ltijs has not seen the launch yet');
  });

  it("completes the launch when the storage holds this login's state and nonce, with a session that needs no cookie", async () => {
    await login().expect(200);
    await formPost().expect(200);
    const res = await confirm({ state: STATE, nonce: NONCE }).expect(302);
    assert.deepEqual(seen, [
      {
        body: { id_token: idToken(), state: STATE },
        stateCookie: ISSUER,
        sessionCookie: undefined,
      },
    ]);
    const ltik = new URL(res.headers.location!, TOOL).searchParams.get('ltik')!;
    assert.deepEqual(cookielessSession(ltik, KEY, Math.floor(clock / 1000)), {
      platformCode: 'ltiP',
      user: '7',
    });
    const page = await request(app).get(res.headers.location!).expect(200);
    assert.deepEqual(page.body, { session: '7' });
    // Once: the same confirmation again finds no login.
    const again = await confirm({ state: STATE, nonce: NONCE }).expect(403);
    assert.match(again.text, /Launch refused: bad state\. No login with this state is waiting/);
  });

  const refusals: [string, () => request.Test, RegExp][] = [
    [
      'a tampered stored state',
      () => confirm({ state: `${STATE}-tampered`, nonce: NONCE }),
      /bad state\. The state the platform's storage in this browser holds is not this launch's/,
    ],
    [
      'no stored state',
      () => confirm({ nonce: NONCE }),
      /bad state\. The platform's storage in this browser holds no state for this launch/,
    ],
    [
      'another nonce',
      () => confirm({ state: STATE, nonce: 'other' }),
      /the id_token's nonce is not the one this browser's login sent/,
    ],
    [
      'a confirmation from another site',
      () => confirm({ state: STATE, nonce: NONCE }, 'https://evil.example'),
      /did not come from this tool's own page \(origin https:\/\/evil\.example\)/,
    ],
  ];
  for (const [what, send, reason] of refusals) {
    it(`refuses ${what}, saying why, and never lets ltijs see it`, async () => {
      await login().expect(200);
      await formPost().expect(200);
      const res = await send().set('accept', 'text/html').expect(403);
      assert.match(res.text.replace(/&#39;/g, "'"), reason);
      assert.deepEqual(seen, []);
    });
  }

  it('refuses a login that took too long', async () => {
    await login().expect(200);
    await formPost().expect(200);
    clock += 10 * 60 * 1000;
    const res = await confirm({ state: STATE, nonce: NONCE })
      .set('accept', 'text/html')
      .expect(403);
    assert.match(res.text, /bad state\. The login started too long ago/);
    assert.deepEqual(seen, []);
  });

  it('refuses an id_token posted a second time for the same login', async () => {
    await login().expect(200);
    await formPost().expect(200);
    const res = await formPost().set('accept', 'text/html').expect(403);
    assert.match(res.text, /bad state\. This launch was already posted once/);
  });
});

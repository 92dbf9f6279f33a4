import assert from 'node:assert/strict';
import { createTestDatabase, TEST_DIALECTS, type TestDatabase } from '@cds/relay/testing';
import { setUpQuietly } from '../../../../test/support/lti-database.js';
import { openLtiDatabase } from '../../db/database.js';
import { LoginStore, type PendingLogin } from './logins.js';

const TTL = 60_000;
const LOGIN: PendingLogin = {
  state: 'a'.repeat(50),
  nonce: 'n0nce',
  issuer: 'https://canvas.test',
  platformOrigin: 'https://sso.canvas.test',
  target: 'post_message_forwarding',
};

for (const dialect of TEST_DIALECTS) {
  describe(`pending logins of launches through the platform's storage (${dialect})`, function () {
    this.timeout(30_000);
    let database: TestDatabase;
    let lti: ReturnType<typeof openLtiDatabase>;
    let logins: LoginStore;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      lti = openLtiDatabase(database.url);
      logins = new LoginStore(lti.db, TTL);
      await setUpQuietly(lti);
    });
    afterEach(async () => {
      await lti.Close();
      await database.dispose();
    });

    it('are found by state while in time, and hold the first id_token posted for them', async () => {
      const t0 = Date.now();
      await logins.add(LOGIN, t0);
      assert.equal((await logins.peek(LOGIN.state, t0))?.nonce, 'n0nce');
      assert.equal(await logins.peek('other', t0), undefined);
      assert.equal(await logins.holdIdToken(LOGIN.state, 'first'), true);
      assert.equal(await logins.holdIdToken(LOGIN.state, 'second'), false);
      assert.equal((await logins.peek(LOGIN.state, t0))?.idToken, 'first');
      assert.equal(await logins.peek(LOGIN.state, t0 + TTL + 1000), undefined, 'expired');
    });

    it('are used up once, even by callers racing for the same state', async () => {
      await logins.add(LOGIN);
      const taken = await Promise.all([logins.take(LOGIN.state), logins.take(LOGIN.state)]);
      assert.equal(taken.filter(Boolean).length, 1);
      assert.equal(taken.find(Boolean)!.expired, false);
      assert.equal(await logins.take(LOGIN.state), undefined);
    });

    it('say when they were taken too late, and are dropped when expired', async () => {
      const t0 = Date.now();
      await logins.add(LOGIN, t0);
      assert.equal((await logins.take(LOGIN.state, t0 + TTL + 1000))?.expired, true);
      await logins.add(LOGIN, t0);
      await logins.add({ ...LOGIN, state: 'later' }, t0 + TTL + 5000);
      assert.equal(await logins.take(LOGIN.state), undefined, 'dropped by the later add');
    });
  });
}

import assert from 'node:assert/strict';
import type { IdToken } from 'ltijs';
import { launchFacts, type PageIdentity } from './identity.js';
import {
  cookieNonce,
  LINK_STATE_MS,
  linkCookie,
  signLinkState,
  verifyLinkState,
} from './link-state.js';

const SECRET = 'lti-key-0123456789abcdef';
const SAM: PageIdentity = {
  course: '21070000000000102',
  user: '21070000000000105',
  role: 'student',
  courseTitle: 'Biology 101',
  userName: 'Sam Student',
};

describe('the state of "Link my forum account"', () => {
  it("names the launch's course and user, for the browser that started it only", () => {
    const { state, nonce } = signLinkState(SAM, SECRET, 1_000);
    const claims = verifyLinkState(state, nonce, SECRET, 1_000 + LINK_STATE_MS - 1);
    assert.deepEqual(
      [claims.course, claims.user, claims.role, claims.courseTitle],
      [SAM.course, SAM.user, 'student', 'Biology 101'],
    );
    assert.throws(
      () => verifyLinkState(state, undefined, SECRET, 1_000),
      /started in another browser/,
    );
    assert.throws(
      () => verifyLinkState(state, signLinkState(SAM, SECRET).nonce, SECRET, 1_000),
      /started in another browser/,
    );
  });

  it('refuses an altered, foreign, expired or missing state, saying which', () => {
    const { state, nonce } = signLinkState(SAM, SECRET, 1_000);
    const [body, mac] = state.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as object;
    const other = Buffer.from(JSON.stringify({ ...claims, user: '21070000000000106' })).toString(
      'base64url',
    );
    assert.throws(
      () => verifyLinkState(`${other}.${mac}`, nonce, SECRET, 1_000),
      (e: Error & { code?: string }) =>
        e.code === 'ERR_BAD_SIGNATURE' && /altered or not made by this tool/.test(e.message),
    );
    assert.throws(
      () => verifyLinkState(state, nonce, 'another-key-0123456789abcdef', 1_000),
      /altered or not made by this tool/,
    );
    assert.throws(
      () => verifyLinkState(state, nonce, SECRET, 1_000 + LINK_STATE_MS + 1),
      (e: Error & { code?: string }) => e.code === 'ERR_EXPIRED' && /expired/.test(e.message),
    );
    for (const missing of [undefined, '', 'no-dot', `${body}.${mac}.x`])
      assert.throws(() => verifyLinkState(missing, nonce, SECRET, 1_000), /no "state"/);
  });

  it('binds with a Lax, HttpOnly cookie on the callback path, Secure over https', () => {
    const cookie = linkCookie('n0nce', true, '/lti/page/link/callback');
    assert.match(
      cookie,
      /^cds_link=n0nce; Path=\/lti\/page\/link\/callback; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/,
    );
    assert.doesNotMatch(linkCookie('n0nce', false, '/x'), /Secure/);
    assert.equal(cookieNonce('a=1; cds_link=n0nce; b=2'), 'n0nce');
    assert.equal(cookieNonce(undefined), undefined);
  });
});

describe('what a launch tells the relay of its user', () => {
  const token = (custom: Record<string, string>, userInfo: Record<string, unknown>) =>
    ({ user: 'lti-sub-1', userInfo, platformContext: { custom } }) as unknown as IdToken;

  it('sends the sub, e-mail, SIS and login ids, leaving out what Canvas did not expand', () => {
    assert.deepEqual(
      launchFacts(
        token(
          { canvas_user_sis_id: 'SIS-1', canvas_user_login_id: 'sam' },
          { email: 'sam@example.edu' },
        ),
      ),
      { lti_sub: 'lti-sub-1', sis_user_id: 'SIS-1', login_id: 'sam', email: 'sam@example.edu' },
    );
    assert.deepEqual(
      launchFacts(
        token(
          {
            canvas_user_sis_id: '$Canvas.user.sisSourceId',
            canvas_user_login_id: '$Canvas.user.loginId',
          },
          { email: 'not an e-mail' },
        ),
      ),
      { lti_sub: 'lti-sub-1' },
    );
  });
});

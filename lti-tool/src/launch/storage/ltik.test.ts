import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';
import { cookielessSession, markLtik, STORAGE_CLAIM, verifyLtik } from './ltik.js';

const KEY = 'ltik-test-key-0123456789abcdef';

/** An ltik as ltijs signs it (jsonwebtoken, HS256 with LTI_KEY). */
function ltijsLtik(claims: Record<string, unknown>, key = KEY): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ ...claims, iat: 1_700_000_000 })).toString(
    'base64url',
  );
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

const CLAIMS = { platformUrl: 'https://canvas.test', platformCode: 'ltiABC', user: '42', s: 'st' };

describe('the ltik of a session opened without cookies', () => {
  it('stands for its session cookie until its time is up', () => {
    const marked = markLtik(ltijsLtik(CLAIMS), KEY, 2000)!;
    assert.deepEqual(cookielessSession(marked, KEY, 1999), { platformCode: 'ltiABC', user: '42' });
    assert.equal(cookielessSession(marked, KEY, 2000), undefined);
  });

  it("keeps ltijs's claims and stays a plain HS256 JWT under LTI_KEY (what ltijs verifies)", async () => {
    const marked = markLtik(ltijsLtik(CLAIMS), KEY, 2000)!;
    const { payload } = await jwtVerify(marked, new TextEncoder().encode(KEY));
    assert.deepEqual(payload, { ...CLAIMS, iat: 1_700_000_000, [STORAGE_CLAIM]: 2000 });
  });

  it('stands for nothing when unmarked (a cookie launch), altered, or signed with another key', () => {
    const plain = ltijsLtik(CLAIMS);
    assert.equal(cookielessSession(plain, KEY, 0), undefined);
    const marked = markLtik(plain, KEY, 2000)!;
    const [h, , s] = marked.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...CLAIMS, user: '1', [STORAGE_CLAIM]: 2000 }),
    ).toString('base64url');
    assert.equal(cookielessSession(`${h}.${forged}.${s}`, KEY, 0), undefined);
    assert.equal(cookielessSession(marked, 'another-key-0123456789abcdef', 0), undefined);
    assert.equal(markLtik(ltijsLtik(CLAIMS, 'another-key'), KEY, 2000), undefined);
    assert.equal(verifyLtik('not.a.jwt', KEY), undefined);
  });
});

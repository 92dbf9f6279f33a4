import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toCdsError } from '@cds/shared';
import { discourseTokenVerifier } from './auth.js';
import { verifyDiscourseToken } from './discourse-token.js';

// The vector the plugin's minitest suite mints byte for byte (discourse-plugin/test/token_minter_test.rb).
const vector = JSON.parse(
  readFileSync(
    new URL('../../../discourse-plugin/test/fixtures/status-token-vector.json', import.meta.url),
    'utf8',
  ),
) as {
  secret: string;
  now: number;
  headerJson: string;
  payloadJson: string;
  token: string;
};
const NOW_MS = vector.now * 1000;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Signs like the plugin does, so each claim can be varied. */
function mint(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'cds-discourse+jwt' },
  secret = vector.secret,
): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const claims = JSON.parse(vector.payloadJson) as Record<string, unknown>;

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const e = toCdsError(error);
    assert.equal(e.code, 'ERR_UNAUTHORIZED');
    return e.message;
  }
  assert.fail('the token was accepted');
}

describe('Discourse plugin status tokens', () => {
  it("accepts the plugin's test vector, byte for byte, as the user it names", () => {
    const [header, payload, signature] = vector.token.split('.') as [string, string, string];
    assert.equal(Buffer.from(header, 'base64url').toString('utf8'), vector.headerJson);
    assert.equal(Buffer.from(payload, 'base64url').toString('utf8'), vector.payloadJson);
    assert.equal(
      createHmac('sha256', vector.secret).update(`${header}.${payload}`).digest('base64url'),
      signature,
    );
    assert.equal(mint(claims), vector.token, 'the same JSON and signature from either side');
    assert.deepEqual(verifyDiscourseToken(vector.token, vector.secret, { now: NOW_MS }), {
      user: 1042,
      username: 'mod_mia',
      role: 'moderator',
      groups: ['course-565-tas', 'moderators', 'staff', 'trust_level_0'],
      categories: [7, 12],
    });
  });

  it('refuses a changed payload or another secret as a bad signature', () => {
    const [header, , signature] = vector.token.split('.');
    const forged = `${header}.${b64(JSON.stringify({ ...claims, role: 'admin' }))}.${signature}`;
    assert.match(
      refusal(() => verifyDiscourseToken(forged, vector.secret, { now: NOW_MS })),
      /^Discourse token refused: bad signature \(is DISCOURSE_TOKEN_SECRET the same/,
    );
    assert.match(
      refusal(() => verifyDiscourseToken(vector.token, `${vector.secret}x`, { now: NOW_MS })),
      /bad signature/,
    );
  });

  it('refuses an expired token, one from the future and one that lives over 15 minutes', () => {
    assert.match(
      refusal(() => verifyDiscourseToken(vector.token, vector.secret, { now: NOW_MS + 3_600_000 })),
      /token expired at 2026-09-01T08:10:00.000Z/,
    );
    assert.match(
      refusal(() => verifyDiscourseToken(vector.token, vector.secret, { now: NOW_MS - 120_000 })),
      /"iat" is in the future/,
    );
    const long = mint({ ...claims, exp: vector.now + 901 });
    assert.match(
      refusal(() => verifyDiscourseToken(long, vector.secret, { now: NOW_MS })),
      /lives 901 s; the most accepted is 900 s/,
    );
    const endless = mint(Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'exp')));
    assert.match(
      refusal(() => verifyDiscourseToken(endless, vector.secret, { now: NOW_MS })),
      /"exp" is required/,
    );
  });

  it('refuses another algorithm, alg none, another audience and an unknown role', () => {
    for (const alg of ['none', 'HS512', 'RS256']) {
      const token = mint(claims, { alg, typ: 'cds-discourse+jwt' });
      assert.match(
        refusal(() => verifyDiscourseToken(token, vector.secret, { now: NOW_MS })),
        new RegExp(`"alg" must be HS256, not "${alg}"`),
      );
    }
    const elsewhere = mint({ ...claims, aud: 'another-service' });
    assert.match(
      refusal(() => verifyDiscourseToken(elsewhere, vector.secret, { now: NOW_MS })),
      /"aud" must be "cds-relay"/,
    );
    const owner = mint({ ...claims, role: 'owner' });
    assert.match(
      refusal(() => verifyDiscourseToken(owner, vector.secret, { now: NOW_MS })),
      /"role" /,
    );
    const system = mint({ ...claims, sub: '-1' });
    assert.match(
      refusal(() => verifyDiscourseToken(system, vector.secret, { now: NOW_MS })),
      /"sub" must be a Discourse user id/,
    );
  });

  it('leaves other bearer tokens to the other verifiers, and answers 503 without a secret', async () => {
    const verifier = discourseTokenVerifier(vector.secret);
    const lti = mint(claims, { alg: 'ES256', typ: 'cds-status+jwt' });
    assert.equal(await verifier.verify(lti), undefined);
    assert.equal(await verifier.verify('test-admin-token-0123456789'), undefined);
    const unset = discourseTokenVerifier(undefined);
    try {
      await unset.verify(vector.token);
      assert.fail('accepted without a secret');
    } catch (error) {
      assert.equal(toCdsError(error).code, 'ERR_UNAVAILABLE');
      assert.match(toCdsError(error).message, /set DISCOURSE_TOKEN_SECRET/);
    }
  });
});

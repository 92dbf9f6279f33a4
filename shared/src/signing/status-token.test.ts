import { strict as assert } from 'node:assert';
import { SignJWT } from 'jose';
import { isCdsError } from '../errors.js';
import { generateProducerKey, importSigner, KeyRing, SIGNING_ALG, type Signer } from './keys.js';
import {
  MAX_STATUS_TOKEN_SECONDS,
  signStatusToken,
  STATUS_TOKEN_TYPE,
  verifyStatusToken,
  type StatusScope,
} from './status-token.js';

const scope: StatusScope = { course: '565', role: 'instructor', user: '21070000000000987' };

async function rejects(promise: Promise<unknown>, code: string, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isCdsError(error), `expected a CdsError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, reason);
    return true;
  });
}

describe('status tokens (course-scoped read access to the status API)', () => {
  let tool: Signer;
  let forum: Signer;
  let keys: KeyRing;

  before(async () => {
    const toolPair = await generateProducerKey('lti-tool', ['canvas', 'manual']);
    const forumPair = await generateProducerKey('discourse');
    tool = await importSigner(toolPair.privateJwk, 'lti-tool');
    forum = await importSigner(forumPair.privateJwk, 'discourse');
    keys = new KeyRing({ keys: [toolPair.publicJwk, forumPair.publicJwk] });
  });

  it('gives back the scope a tool key signed', async () => {
    const token = await signStatusToken(scope, tool);
    const { scope: verified, grant } = await verifyStatusToken(token, keys);
    assert.deepEqual(verified, scope);
    assert.equal(grant.producer, 'lti-tool');
  });

  it('refuses an expired token, saying so', async () => {
    const token = await signStatusToken(scope, tool, { ttlSeconds: 60, now: Date.now() - 120_000 });
    await rejects(verifyStatusToken(token, keys), 'ERR_EXPIRED', /expired/);
  });

  it('refuses a token minted to live longer than the relay allows', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: tool.kid, typ: STATUS_TOKEN_TYPE })
      .setIssuer('lti-tool')
      .setJti('t-1')
      .setSubject(scope.user)
      .setIssuedAt(now)
      .setExpirationTime(now + MAX_STATUS_TOKEN_SECONDS + 60)
      .sign(tool.key);
    await rejects(verifyStatusToken(token, keys), 'ERR_EXPIRED', /the most accepted is 900 s/);
  });

  it('refuses a course scope from a key that does not speak for Canvas', async () => {
    const token = await signStatusToken(scope, forum);
    await rejects(verifyStatusToken(token, keys), 'ERR_FORBIDDEN', /does not speak for canvas/);
  });

  it('refuses an event token presented as a status token (typ)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: tool.kid, typ: 'cds-event+jwt' })
      .setIssuer('lti-tool')
      .setJti('t-2')
      .setSubject(scope.user)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(tool.key);
    await rejects(verifyStatusToken(token, keys), 'ERR_BAD_SIGNATURE', /typ/);
  });

  it('refuses a scope that is malformed or names another user than the subject', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [claims, subject] of [
      [{ scope: { ...scope, role: 'admin' } }, scope.user],
      [{ scope: { ...scope, course: '../565' } }, scope.user],
      [{ scope }, '21070000000000001'],
      [{}, scope.user],
    ] as const) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: SIGNING_ALG, kid: tool.kid, typ: STATUS_TOKEN_TYPE })
        .setIssuer('lti-tool')
        .setJti(`t-${subject}-${JSON.stringify(claims).length}`)
        .setSubject(subject)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(tool.key);
      await rejects(verifyStatusToken(token, keys), 'ERR_INVALID_EVENT', /no valid "scope"/);
    }
  });
});

import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt, type KeyObject } from 'node:crypto';
import * as m from './mutations.js';
import { startDiscourseSimulator, type DiscourseSimulator } from './server.js';

/**
 * RSA PKCS#1 v1.5 decryption (what the client of the User API key flow does). Node 20 refuses
 * PKCS#1 v1.5 in privateDecrypt (CVE-2023-46809), so decrypt raw and strip 00 02 <pad> 00.
 */
function decryptPkcs1(privateKey: KeyObject, data: Buffer): string {
  const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, data);
  assert.deepEqual([block[0], block[1]], [0, 2], 'PKCS#1 v1.5 type 2 block');
  return block.subarray(block.indexOf(0, 2) + 1).toString('utf8');
}

describe('Discourse simulator User API keys', () => {
  let sim: DiscourseSimulator;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const control = (path: string, body: unknown) =>
    fetch(`${sim.url}/__control${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeEach(async () => {
    sim = await startDiscourseSimulator();
    sim.state.siteSettings.allowed_user_api_auth_redirects.push('https://tool.example/discourse/*');
    m.createUser(sim.state, { username: 'ada', trust_level: 1 });
  });
  afterEach(() => sim.close());

  function newUrl(extra: Record<string, string> = {}) {
    const q = new URLSearchParams({
      application_name: 'Course sync',
      client_id: 'cds-tool',
      scopes: 'read,session_info',
      public_key: pem,
      nonce: 'n-123',
      auth_redirect: 'https://tool.example/discourse/callback?state=s1',
      ...extra,
    });
    return `${sim.url}/user-api-key/new?${q}`;
  }

  it('issues a key through approval and redirect, usable within its scopes', async () => {
    const head = await fetch(`${sim.url}/user-api-key/new`, { method: 'HEAD' });
    assert.equal(head.headers.get('auth-api-version'), '4');
    const page = await fetch(newUrl());
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Course sync is asking for access/);

    const approved = (await (
      await control('/user-api-keys/approve', { username: 'ada', nonce: 'n-123' })
    ).json()) as {
      redirect: string;
    };
    const redirect = new URL(approved.redirect);
    assert.equal(
      `${redirect.origin}${redirect.pathname}`,
      'https://tool.example/discourse/callback',
    );
    assert.equal(redirect.searchParams.get('state'), 's1');
    const encrypted = Buffer.from(redirect.searchParams.get('payload')!, 'base64');
    const payload = JSON.parse(decryptPkcs1(privateKey, encrypted)) as {
      key: string;
      nonce: string;
      push: boolean;
      api: number;
    };
    assert.deepEqual(
      { nonce: payload.nonce, push: payload.push, api: payload.api },
      { nonce: 'n-123', push: false, api: 4 },
    );

    const headers = { 'User-Api-Key': payload.key, 'User-Api-Client-Id': 'cds-tool' };
    const current = await fetch(`${sim.url}/session/current.json`, { headers });
    assert.equal(
      ((await current.json()) as { current_user: { username: string } }).current_user.username,
      'ada',
    );
    const write = await fetch(`${sim.url}/posts.json`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'A title that is long enough',
        raw: 'A body that is long enough too.',
      }),
    });
    assert.equal(write.status, 403, 'a read key cannot write');
    const bad = await fetch(`${sim.url}/session/current.json`, {
      headers: { 'User-Api-Key': 'nope' },
    });
    assert.equal(bad.status, 403);
  });

  it('redirects at once when approval is automatic, and refuses foreign redirects and unknown scopes', async () => {
    await sim.close();
    sim = await startDiscourseSimulator({ autoApproveUserApiKeysAs: 'ada' });
    sim.state.siteSettings.allowed_user_api_auth_redirects.push('https://tool.example/discourse/*');
    m.createUser(sim.state, { username: 'ada' });
    const res = await fetch(newUrl({ scopes: 'write' }), { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.match(
      res.headers.get('location')!,
      /^https:\/\/tool\.example\/discourse\/callback\?state=s1&payload=/,
    );
    assert.equal((await fetch(newUrl({ auth_redirect: 'https://evil.example/cb' }))).status, 403);
    assert.equal((await fetch(newUrl({ scopes: 'everything' }))).status, 403);
    const missing = await fetch(`${sim.url}/user-api-key/new?application_name=x`);
    assert.equal(missing.status, 400);
  });
});

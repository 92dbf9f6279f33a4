// Issue 12, "Link my forum account" (DESIGN.md section 3b) through the Discourse simulator's User
// API key flow as Discourse documents it (https://meta.discourse.org/t/user-api-keys-specification/48536):
// the relay's start, the approval page, the approval, the encrypted payload, the relay's complete.
// And every callback that must not link anything: forged, expired, another student's, an account
// someone else has. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { COURSE, LinksWorld, REDIRECT, TEACHER, eventOf, studentId } from './links-world.js';

/** A payload in Discourse's format (Base64 of RSA PKCS#1 v1.5), encrypted to `publicKeyPem`. */
function encryptedPayload(publicKeyPem: string, body: Record<string, unknown>): string {
  const data = publicEncrypt(
    { key: publicKeyPem, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(JSON.stringify(body)),
  );
  return data.toString('base64');
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`links: "Link my forum account" (${dialect})`, function () {
    this.timeout(60_000);
    let w: LinksWorld;
    beforeEach(async () => {
      // No automatic links: every account here is linked by its owner.
      w = await new LinksWorld(dialect, { DISCOURSE_EXTERNAL_ID: 'none' }).start();
    });
    afterEach(async () => {
      await w?.stop();
    });

    it('links the account the student approves as (self_service) and applies what waited', async () => {
      const seq = 60;
      const ada = w.account('ada60');
      const grade = eventOf('grade', seq);
      await w.h.send([grade]);
      assert.equal((await w.settled(grade.id)).state, 'waiting');

      const student = await w.token('student', studentId(seq));
      const started = await w.api('POST', `/v1/status/courses/${COURSE}/me/link/start`, student, {
        redirect: REDIRECT,
      });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const url = new URL(started.body.url as string);
      assert.equal(`${url.origin}${url.pathname}`, `${w.sim.url}/user-api-key/new`);
      assert.deepEqual(
        ['scopes', 'client_id', 'auth_redirect'].map((k) => url.searchParams.get(k)),
        ['session_info', 'canvas-discourse-sync', REDIRECT],
      );
      assert.match(url.searchParams.get('public_key')!, /^-----BEGIN PUBLIC KEY-----/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /is asking for access to your account/);
      const approved = await fetch(`${w.sim.url}/__control/user-api-keys/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ada60', nonce: url.searchParams.get('nonce') }),
      });
      const back = new URL(((await approved.json()) as { redirect: string }).redirect);
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT);

      // As a form decoder may hand it over: Ruby's line breaks kept, every '+' read as a space.
      const payload = back.searchParams.get('payload')!;
      assert.match(payload, /\n/, "Base64.encode64's line breaks");
      const done = await w.complete(student, payload.replace(/\+/g, ' '));
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const link = done.body.link as Record<string, unknown>;
      assert.deepEqual(
        [link.canvas_user_id, link.discourse_user_id, link.discourse_username, link.method],
        [studentId(seq), ada.id, 'ada60', 'self_service'],
      );
      assert.equal(link.made_by, `lti:${studentId(seq)}@course:${COURSE}`);

      assert.equal((await w.settled(grade.id)).state, 'applied');
      assert.deepEqual(w.writesOf(ada.id), ['user_updated']);
      const status = await w.api('GET', `/v1/status/courses/${COURSE}`, student);
      const me = (status.body.links as { me: { discourse_username: string } | null }).me;
      assert.equal(me?.discourse_username, 'ada60');
      // The payload is spent: the same callback again links nothing more.
      const replayed = await w.complete(student, back.searchParams.get('payload')!);
      assert.equal(replayed.status, 404);
      assert.equal(replayed.body.error?.code, 'ERR_NOT_FOUND');
    });

    // Real Discourse lets any User API key revoke itself (UserApiKey#allow?:
    // `scopes.any? { |s| s.permits?(env) } || is_revoke_self_request?(env)`), as the simulator does.
    it('revokes the User API key once it has said whose account it is', async () => {
      const ada = w.account('ada67');
      const student = await w.token('student', studentId(67));
      const done = await w.complete(student, await w.approvedPayload(student, 'ada67'));
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const keys = [...w.sim.state.userApiKeys.values()].filter((k) => k.user_id === ada.id);
      assert.equal(keys.length, 1);
      assert.notEqual(keys[0]!.revoked_at, null, 'the key was only proof: revoked');
    });

    it('refuses a forged payload (encrypted to another key, or a key Discourse does not know) with ERR_BAD_SIGNATURE', async () => {
      w.account('mallory61');
      const student = await w.token('student', studentId(61));
      const started = await w.api('POST', `/v1/status/courses/${COURSE}/me/link/start`, student, {
        redirect: REDIRECT,
      });
      const url = new URL(started.body.url as string);
      const nonce = url.searchParams.get('nonce')!;
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
      const otherPem = other.export({ type: 'spki', format: 'pem' }).toString();
      const foreign = await w.complete(student, encryptedPayload(otherPem, { key: 'k', nonce }));
      assert.equal(foreign.status, 401, JSON.stringify(foreign.body));
      assert.equal(foreign.body.error?.code, 'ERR_BAD_SIGNATURE');
      assert.match(foreign.body.error!.message, /was not made for your link request/);

      // Encrypted to the request's own public key (it is in the URL) with an invented key.
      const again = new URL(
        (
          await w.api('POST', `/v1/status/courses/${COURSE}/me/link/start`, student, {
            redirect: REDIRECT,
          })
        ).body.url as string,
      );
      const invented = encryptedPayload(again.searchParams.get('public_key')!, {
        key: 'f'.repeat(32),
        nonce: again.searchParams.get('nonce'),
      });
      const unknownKey = await w.complete(student, invented);
      assert.equal(unknownKey.status, 401, JSON.stringify(unknownKey.body));
      assert.equal(unknownKey.body.error?.code, 'ERR_BAD_SIGNATURE');
      assert.match(unknownKey.body.error!.message, /Discourse did not accept the key/);
      assert.deepEqual(await w.userLinks(), []);
    });

    it('refuses an expired request with ERR_EXPIRED', async () => {
      w.account('slow62');
      const student = await w.token('student', studentId(62));
      const payload = await w.approvedPayload(student, 'slow62');
      await w.h.relay.store.db
        .updateTable('link_requests')
        .set({ expires_at: Date.now() - 1_000 })
        .execute();
      const late = await w.complete(student, payload);
      assert.equal(late.status, 401, JSON.stringify(late.body));
      assert.equal(late.body.error?.code, 'ERR_EXPIRED');
      assert.match(
        late.body.error!.message,
        /expired \(10 minutes\): press "Link my forum account" again/,
      );
      assert.deepEqual(await w.userLinks(), []);
    });

    it("refuses a student completing with another student's payload, and links neither", async () => {
      w.account('bea63');
      const bea = await w.token('student', studentId(63));
      const eve = await w.token('student', studentId(64));
      const beas = await w.approvedPayload(bea, 'bea63');
      // Eve never started: nothing of hers to complete.
      const noRequest = await w.complete(eve, beas);
      assert.equal(noRequest.status, 404, JSON.stringify(noRequest.body));
      assert.match(noRequest.body.error!.message, /no forum link in progress for you/);
      // Eve started her own: Bea's payload is not for it.
      await w.api('POST', `/v1/status/courses/${COURSE}/me/link/start`, eve, {
        redirect: REDIRECT,
      });
      const stolen = await w.complete(eve, beas);
      assert.equal(stolen.status, 401, JSON.stringify(stolen.body));
      assert.equal(stolen.body.error?.code, 'ERR_BAD_SIGNATURE');
      assert.deepEqual(await w.userLinks(), []);
      // Bea's own request is untouched: she completes it.
      const mine = await w.complete(bea, beas);
      assert.equal(mine.status, 200, JSON.stringify(mine.body));
      assert.deepEqual(await w.userLinks(), [[studentId(63), 'bea63', 'self_service']]);
    });

    it('refuses an account already linked to another Canvas user with 409', async () => {
      w.account('shared65');
      await w.linkUser(studentId(65), 'shared65');
      const other = await w.token('student', studentId(66));
      const payload = await w.approvedPayload(other, 'shared65');
      const taken = await w.complete(other, payload);
      assert.equal(taken.status, 409, JSON.stringify(taken.body));
      assert.equal(taken.body.error?.code, 'ERR_CONFLICT');
      assert.match(taken.body.error!.message, /@shared65 is already linked to another Canvas user/);
      assert.deepEqual(await w.userLinks(), [[studentId(65), 'shared65', 'admin']]);
      // An instructor's token is not a student's "me" for linking, in another course neither.
      const teacher = await w.token('instructor', TEACHER);
      const byTeacher = await w.api('DELETE', `/v1/status/courses/777/me/link`, teacher);
      assert.equal(byTeacher.status, 403);
      assert.match(byTeacher.body.error!.message, /your token is for course 565, not course 777/);
    });
  });
}

import assert from 'node:assert/strict';
import type { CdsError, ErrorCode } from '../errors.js';
import { exampleEvent } from '../events/examples.js';
import {
  generateProducerKey,
  importSigner,
  KeyRing,
  rotateTrustedKey,
  type Signer,
} from './keys.js';
import { MemorySeenStore, ReplayGuard } from './replay.js';
import { signBatch, signEvent } from './sign.js';
import { verifyBatch, verifyEventToken } from './verify.js';

/** Asserts that `promise` rejects with our error `code` and a message matching `message`. */
async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: CdsError) => {
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

function tamper(token: string, part: 1 | 2, edit: (text: string) => string): string {
  const parts = token.split('.');
  parts[part] = Buffer.from(edit(Buffer.from(parts[part]!, 'base64url').toString('utf8'))).toString(
    'base64url',
  );
  return parts.join('.');
}

describe('signing and verification', () => {
  let signer: Signer;
  let keys: KeyRing;

  before(async () => {
    const pair = await generateProducerKey('canvas');
    signer = await importSigner(pair.privateJwk);
    keys = new KeyRing({ keys: [pair.publicJwk] });
  });

  describe('a single signed event', () => {
    it('verifies and yields the event and the producer claims', async () => {
      const event = exampleEvent('grade', 1);
      const { claims, event: verified } = await verifyEventToken(
        await signEvent(event, signer),
        keys,
      );
      assert.deepEqual(verified, event);
      assert.equal(claims.iss, 'canvas');
      assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    });

    describe('when the signature is forged', () => {
      it('rejects the token with ERR_BAD_SIGNATURE', async () => {
        const token = await signEvent(exampleEvent('grade', 1), signer);
        const forged = tamper(token, 1, (text) => text.replace('"score":', '"score":1'));
        await rejectsWith(verifyEventToken(forged, keys), 'ERR_BAD_SIGNATURE', /forged or altered/);
      });
    });

    describe('when the token is not a JWS at all', () => {
      it('rejects it with ERR_BAD_SIGNATURE saying what a JWS looks like', async () => {
        await rejectsWith(
          verifyEventToken('not-a-token', keys),
          'ERR_BAD_SIGNATURE',
          /three base64url parts/,
        );
      });
    });

    describe('when the key is unknown', () => {
      it('rejects it with ERR_UNKNOWN_KEY naming the kid', async () => {
        const stranger = await importSigner(
          (await generateProducerKey('mallory', ['canvas'])).privateJwk,
        );
        const token = await signEvent(exampleEvent('grade', 1), stranger);
        await rejectsWith(
          verifyEventToken(token, keys),
          'ERR_UNKNOWN_KEY',
          /key "mallory:[\w-]+" is not in the trusted JWKS/,
        );
      });
    });

    describe('when the token is a batch token', () => {
      it('rejects it: the typ header keeps the two kinds apart', async () => {
        const { jws } = await signBatch([exampleEvent('grade', 1)], signer);
        await rejectsWith(verifyEventToken(jws, keys), 'ERR_BAD_SIGNATURE', /typ/);
      });
    });
  });

  describe('a signed batch', () => {
    it('verifies every event with one signature', async () => {
      const events = [1, 2, 3].map((seq) => exampleEvent('forum_post', seq));
      const { results } = await verifyBatch(await signBatch(events, signer), keys);
      assert.deepEqual(
        results.map((r) => r.authentic),
        [true, true, true],
      );
    });

    it('verifies events whose keys were reordered in transit (RFC 8785 hashing)', async () => {
      const event = exampleEvent('grade', 1);
      const batch = await signBatch([event], signer);
      const reordered = JSON.parse(
        JSON.stringify(Object.fromEntries(Object.entries(event).reverse())),
      );
      const { results } = await verifyBatch({ jws: batch.jws, events: [reordered] }, keys);
      assert.equal(results[0]?.authentic, true);
    });

    describe('when one event was altered after signing', () => {
      it('reports only that event as not authentic and keeps the others', async () => {
        const events = [1, 2, 3].map((seq) => exampleEvent('grade', seq));
        const batch = await signBatch(events, signer);
        const altered = structuredClone(batch.events);
        (altered[1]!.payload as { score: number }).score = 100;
        const { results } = await verifyBatch({ jws: batch.jws, events: altered }, keys);
        assert.deepEqual(
          results.map((r) => r.authentic),
          [true, false, true],
        );
        const bad = results[1]!;
        assert.ok(!bad.authentic);
        assert.equal(bad.error.code, 'ERR_BAD_SIGNATURE');
        assert.match(bad.error.message, /event 1 is not the one signed at position 1/);
      });
    });

    describe('when an event was added to the body', () => {
      it('rejects the batch with ERR_INVALID_EVENT giving both counts', async () => {
        const batch = await signBatch([exampleEvent('grade', 1)], signer);
        await rejectsWith(
          verifyBatch(
            { jws: batch.jws, events: [...batch.events, exampleEvent('grade', 2)] },
            keys,
          ),
          'ERR_INVALID_EVENT',
          /signs 1 events but the body has 2/,
        );
      });
    });

    describe('when the batch signature is forged', () => {
      it('rejects the whole batch with ERR_BAD_SIGNATURE', async () => {
        const batch = await signBatch([exampleEvent('grade', 1)], signer);
        const forged = tamper(batch.jws, 1, (text) => text.replace('"hashes":["', '"hashes":["A'));
        await rejectsWith(
          verifyBatch({ jws: forged, events: batch.events }, keys),
          'ERR_BAD_SIGNATURE',
          /forged/,
        );
      });
    });
  });

  describe('key rotation', () => {
    it('accepts the old and the new key during the grace period, then only the new one', async () => {
      const oldPair = await generateProducerKey('discourse');
      const newPair = await generateProducerKey('discourse');
      let now = Date.UTC(2026, 0, 1);
      const rotated = rotateTrustedKey(
        { keys: [oldPair.publicJwk] },
        { newKey: newPair.publicJwk, oldKid: oldPair.privateJwk.kid, graceSeconds: 3600, now },
      );
      const ring = new KeyRing(rotated, { now: () => now });
      const oldToken = await signEvent(
        exampleEvent('forum_post', 1),
        await importSigner(oldPair.privateJwk),
      );
      const newToken = await signEvent(
        exampleEvent('forum_post', 1),
        await importSigner(newPair.privateJwk),
      );

      await verifyEventToken(oldToken, ring);
      await verifyEventToken(newToken, ring);
      now += 3601 * 1000;
      await rejectsWith(
        verifyEventToken(oldToken, ring),
        'ERR_UNKNOWN_KEY',
        /was retired at 2026-01-01T01:00:00.000Z/,
      );
      await verifyEventToken(newToken, ring);
    });

    it('refuses a JWKS document that is not one, naming the field', () => {
      assert.throws(
        () => KeyRing.fromJson({ keys: [{ kty: 'RSA', kid: 'x' }] }),
        (error: CdsError) =>
          error.code === 'ERR_INVALID_CONFIG' && /keys\.0\.kty/.test(error.message),
      );
    });
  });

  describe('replay protection', () => {
    const now = Date.UTC(2026, 5, 1, 12);
    const iat = now / 1000;
    const guard = () => new ReplayGuard({ store: new MemorySeenStore(() => now), now: () => now });

    it('accepts a fresh token once and rejects its replay with ERR_REPLAYED', async () => {
      const replay = guard();
      await replay.check({ jti: 'a', iat });
      await rejectsWith(
        replay.check({ jti: 'a', iat }),
        'ERR_REPLAYED',
        /token a was already used/,
      );
    });

    it('rejects a token older than the window with ERR_EXPIRED', async () => {
      await rejectsWith(
        guard().check({ jti: 'b', iat: iat - 301 }),
        'ERR_EXPIRED',
        /older than 300 s/,
      );
    });

    it('rejects a token from the future with ERR_EXPIRED mentioning the clock', async () => {
      await rejectsWith(
        guard().check({ jti: 'c', iat: iat + 60 }),
        'ERR_EXPIRED',
        /in the future .* producer's clock/,
      );
    });

    it('forgets a token id once its window has passed', async () => {
      let clock = now;
      const store = new MemorySeenStore(() => clock);
      assert.equal(await store.remember('d', 1000), true);
      assert.equal(await store.remember('d', 1000), false);
      clock += 1001;
      assert.equal(await store.remember('d', 1000), true);
    });
  });
});

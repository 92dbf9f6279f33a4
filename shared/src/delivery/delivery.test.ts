import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JSONWebKeySet } from 'jose';
import { exampleEvent } from '../events/examples.js';
import { generateProducerKey, importSigner, type Signer } from '../signing/keys.js';
import { signEvent } from '../signing/sign.js';
import type { Delivery } from './format.js';
import { refusedEvents } from './result.js';
import { signDelivery } from './sign.js';
import { httpTargetError, isTargetError, parseRetryAfter } from './target-error.js';
import { deliveryKeySet, verifyDelivery } from './verify.js';

async function relayKey(): Promise<{ signer: Signer; jwks: JSONWebKeySet }> {
  const pair = await generateProducerKey('cds-relay', ['manual']);
  return {
    signer: await importSigner(pair.privateJwk, 'cds-relay'),
    jwks: { keys: [pair.publicJwk] },
  };
}

function delivery(id = '0192a0b0-0000-7000-8000-000000000001'): Delivery {
  const event = exampleEvent('grade', 1);
  return {
    id,
    tier: 'critical',
    eventIds: [event.id],
    items: [
      {
        eventId: event.id,
        source: 'canvas',
        entity: 'grade',
        key: event.key,
        op: 'upsert',
        value: event.payload,
      },
    ],
  };
}

/** Asserts a rejection's code and message (CONVENTIONS.md #11). */
async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('a delivery signed by the relay', () => {
  let relay: Awaited<ReturnType<typeof relayKey>>;
  before(async () => {
    relay = await relayKey();
  });

  it('verifies with the relay JWKS and gives back what was signed', async () => {
    const sent = delivery();
    const jws = await signDelivery(sent, relay.signer);
    const got = await verifyDelivery(jws, { keys: relay.jwks, idempotencyKey: sent.id });
    const { issuedAt, ...rest } = got;
    assert.deepEqual(rest, sent);
    assert.ok(Math.abs(issuedAt - Date.now()) < 5_000);
  });

  describe('when the signature is forged', () => {
    it('rejects it with ERR_BAD_SIGNATURE', async () => {
      const forger = await relayKey();
      // Same kid as the relay's key, another private key.
      const jws = await signDelivery(delivery(), { ...forger.signer, kid: relay.signer.kid });
      await rejects(
        verifyDelivery(jws, { keys: relay.jwks }),
        'ERR_BAD_SIGNATURE',
        /^delivery signature does not match its content \(forged or altered\)$/,
      );
    });

    it('rejects an altered payload with ERR_BAD_SIGNATURE', async () => {
      const [header, , signature] = (await signDelivery(delivery(), relay.signer)).split('.');
      const other = (await signDelivery(delivery('another-id'), relay.signer)).split('.')[1];
      await rejects(
        verifyDelivery(`${header}.${other}.${signature}`, { keys: relay.jwks }),
        'ERR_BAD_SIGNATURE',
        /forged or altered/,
      );
    });

    it('rejects a key the relay JWKS does not list with ERR_UNKNOWN_KEY', async () => {
      const stranger = await relayKey();
      const jws = await signDelivery(delivery(), stranger.signer);
      await rejects(
        verifyDelivery(jws, { keys: relay.jwks }),
        'ERR_UNKNOWN_KEY',
        new RegExp(
          `^delivery is signed with key "${stranger.signer.kid}", not in the relay's JWKS$`,
        ),
      );
    });

    it('rejects what is not a compact JWS with ERR_BAD_SIGNATURE', async () => {
      await rejects(
        verifyDelivery('{"eventIds":[]}', { keys: relay.jwks }),
        'ERR_BAD_SIGNATURE',
        /^delivery is not a compact JWS/,
      );
    });
  });

  describe('when it is expired', () => {
    it('rejects one signed more than 5 minutes ago with ERR_EXPIRED', async () => {
      const now = Math.floor(Date.now() / 1000) * 1000; // iat has whole seconds
      const jws = await signDelivery(delivery(), relay.signer, { now: now - 360_000 });
      await rejects(
        verifyDelivery(jws, { keys: relay.jwks, now }),
        'ERR_EXPIRED',
        /^delivery was signed 360 s ago; at most 300 s is accepted$/,
      );
    });

    it('takes a shorter maximum age, and refuses one from the future past the clock skew', async () => {
      const now = Math.floor(Date.now() / 1000) * 1000;
      const old = await signDelivery(delivery(), relay.signer, { now: now - 90_000 });
      await rejects(
        verifyDelivery(old, { keys: relay.jwks, maxAgeMs: 60_000, now }),
        'ERR_EXPIRED',
        /^delivery was signed 90 s ago; at most 60 s is accepted$/,
      );
      const ahead = await signDelivery(delivery(), relay.signer, { now: now + 120_000 });
      await rejects(
        verifyDelivery(ahead, { keys: relay.jwks, now }),
        'ERR_EXPIRED',
        /^delivery was signed 120 s in the future; at most 30 s of clock skew is accepted$/,
      );
    });
  });

  describe('when the typ is wrong', () => {
    it('rejects an event token signed with the relay key with ERR_MALFORMED', async () => {
      const jws = await signEvent(exampleEvent('grade', 2), relay.signer);
      await rejects(
        verifyDelivery(jws, { keys: relay.jwks }),
        'ERR_MALFORMED',
        /^token has typ "cds-event\+jwt", expected "cds-delivery\+jwt": not a delivery$/,
      );
    });
  });

  describe('when the id does not match the Idempotency-Key', () => {
    it('rejects it with ERR_MALFORMED naming both', async () => {
      const jws = await signDelivery(delivery('id-a'), relay.signer);
      await rejects(
        verifyDelivery(jws, { keys: relay.jwks, idempotencyKey: 'id-b' }),
        'ERR_MALFORMED',
        /^delivery id \(jti\) "id-a" does not match the Idempotency-Key header "id-b"$/,
      );
    });
  });

  it('rejects another issuer with ERR_FORBIDDEN', async () => {
    const jws = await signDelivery(delivery(), relay.signer, { issuer: 'not-the-relay' });
    await rejects(
      verifyDelivery(jws, { keys: relay.jwks }),
      'ERR_FORBIDDEN',
      /^delivery is issued by "not-the-relay", expected "cds-relay"$/,
    );
  });

  it('rejects claims that are not a delivery with ERR_MALFORMED naming the field', async () => {
    const { items, ...rest } = delivery();
    const jws = await new SignJWT({ ...rest, items: [{ ...items[0], source: 'moodle' }] })
      .setProtectedHeader({ alg: 'EdDSA', kid: relay.signer.kid, typ: 'cds-delivery+jwt' })
      .setIssuer('cds-relay')
      .setJti('x')
      .setIssuedAt()
      .sign(relay.signer.key);
    await rejects(
      verifyDelivery(jws, { keys: relay.jwks }),
      'ERR_MALFORMED',
      /^delivery claims are invalid: items\.0\.source: /,
    );
  });

  it('is never signed with claims a receiver would refuse', async () => {
    const bad = { ...delivery(), eventIds: [] };
    await assert.rejects(signDelivery(bad, relay.signer), /eventIds/);
  });
});

describe("the relay's JWKS at a URL", () => {
  let server: Server;
  let jwks: JSONWebKeySet = { keys: [] };
  let fetches = 0;
  let url: string;
  before(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is fetched once and cached; an unknown kid fetches again at most once per cooldown', async () => {
    const first = await relayKey();
    jwks = first.jwks;
    fetches = 0;
    const keys = `${url}?case=rotation`;
    for (const id of ['d1', 'd2', 'd3']) {
      const jws = await signDelivery(delivery(id), first.signer);
      assert.equal((await verifyDelivery(jws, { keys })).id, id);
    }
    assert.equal(fetches, 1, 'one fetch for three deliveries');
    const rotated = await relayKey();
    jwks = { keys: [...first.jwks.keys, ...rotated.jwks.keys] };
    // The fetch of the first verification started the 30 s cooldown: a forged kid cannot make
    // every verification fetch again.
    const jws = await signDelivery(delivery('d4'), rotated.signer);
    await rejects(verifyDelivery(jws, { keys }), 'ERR_UNKNOWN_KEY', /not in the relay's JWKS/);
    assert.equal(fetches, 1, 'within the cooldown an unknown kid does not fetch again');
  });

  it('fetches again on an unknown kid once the cooldown has passed', async () => {
    const first = await relayKey();
    jwks = first.jwks;
    fetches = 0;
    const keys = deliveryKeySet(`${url}?case=cooldown`, { cooldownMs: 0 });
    await verifyDelivery(await signDelivery(delivery('e1'), first.signer), { keys });
    const rotated = await relayKey();
    jwks = rotated.jwks;
    const got = await verifyDelivery(await signDelivery(delivery('e2'), rotated.signer), { keys });
    assert.equal(got.id, 'e2');
    assert.equal(fetches, 2);
  });

  it('answers ERR_UNAVAILABLE when the JWKS cannot be fetched, so the relay retries', async () => {
    const { signer } = await relayKey();
    await rejects(
      verifyDelivery(await signDelivery(delivery(), signer), {
        keys: 'http://127.0.0.1:1/.well-known/jwks.json',
      }),
      'ERR_UNAVAILABLE',
      /^the relay's JWKS could not be read: /,
    );
  });
});

describe('a target error', () => {
  it('is retryable for 5xx, 408 and 429, and final for other 4xx', () => {
    const retryable = (status: number) => httpTargetError('t', status, null).retryable;
    assert.deepEqual([500, 502, 503, 504, 408, 429].map(retryable), [
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    assert.deepEqual([400, 401, 403, 404, 409, 422].map(retryable), Array(6).fill(false));
    const error = httpTargetError('discourse', 503, '7');
    assert.equal(error.code, 'ERR_TARGET');
    assert.equal(error.message, 'discourse: HTTP 503');
    assert.equal(error.retryAfterMs, 7_000);
    assert.ok(isTargetError(error));
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});

describe("reading a receiver's delivery result", () => {
  it('names each refused event of the delivery with its reason', () => {
    const body = JSON.stringify({
      rejected: [
        { eventId: 'a', reason: 'closed' },
        { eventId: 'x', reason: 'not in this delivery' },
      ],
    });
    assert.deepEqual([...refusedEvents(body, ['a', 'b'])], [['a', 'closed']]);
  });

  it('takes an empty, non-JSON or other body as everything applied', () => {
    for (const body of ['', 'OK', '{"ok":true}', '{"rejected":[{"eventId":"a"}]}'])
      assert.equal(refusedEvents(body, ['a']).size, 0, body);
  });
});

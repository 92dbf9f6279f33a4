import assert from 'node:assert/strict';
import { CountingTarget } from './target.js';

/** A compact JWS-shaped body: the target decodes the payload and does not verify. */
function delivery(id: string, eventIds: string[]): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA' })}.${part({ jti: id, eventIds })}.sig`;
}

describe("the bench's counting target", () => {
  let target: CountingTarget;
  let url: string;
  const send = (id: string, eventIds: string[]) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', 'idempotency-key': id },
      body: delivery(id, eventIds),
    });

  beforeEach(async () => {
    target = new CountingTarget();
    url = await target.start();
  });
  afterEach(() => target.stop());

  it('records when each expected event first arrived', async () => {
    const expected = target.expect(['a', 'b', 'c']);
    assert.equal((await send('d1', ['a', 'b'])).status, 200);
    assert.equal(expected.arrived, 2);
    await send('d2', ['c']);
    assert.equal(expected.arrived, 3);
    assert.deepEqual([...expected.firstSeenAt.keys()].sort(), ['a', 'b', 'c']);
    assert.equal(target.duplicateIds.size, 0);
  });

  it('counts a retried delivery id as a redelivery, not as events applied twice', async () => {
    const expected = target.expect(['a']);
    await send('d1', ['a']);
    await send('d1', ['a']);
    assert.equal(target.redeliveries, 1);
    assert.equal(target.deliveries, 1);
    assert.equal(target.duplicateIds.size, 0);
    assert.equal(expected.arrived, 1);
  });

  it('counts an event carried by a second delivery as applied twice', async () => {
    target.expect(['a', 'b']);
    await send('d1', ['a']);
    await send('d2', ['a', 'b']);
    assert.deepEqual([...target.duplicateIds], ['a']);
    assert.equal(target.duplicatesAmong(['a', 'b']), 1);
  });

  it('counts events it was never told to expect', async () => {
    await send('d1', ['stranger']);
    assert.equal(target.unexpected, 1);
  });
});

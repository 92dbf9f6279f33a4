import assert from 'node:assert/strict';
import { exampleEvent, generateProducerKey, importSigner, signBatch, signEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';

async function post(url: string, body: string, contentType = 'application/json') {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      error?: { code: string; message: string };
      results?: Array<{ status: string; code?: string; reason?: string }>;
    },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the relay's ingest rejections (${dialect})`, function () {
    this.timeout(30_000);
    let h: RelayHarness;
    before(async () => {
      h = await new RelayHarness({ dialect, env: { MAX_BODY_BYTES: '65536' } }).start();
    });
    after(async () => {
      await h?.stop();
    });

    describe('when the signature is forged', () => {
      it('answers 401 ERR_BAD_SIGNATURE and logs nothing', async () => {
        const token = await signEvent(exampleEvent('grade', 1), h.signer);
        const [header, payload, signature] = token.split('.');
        const forged = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
        const { status, body } = await post(h.url, JSON.stringify({ jws: forged }));
        assert.equal(status, 401);
        assert.equal(body.error?.code, 'ERR_BAD_SIGNATURE');
        assert.match(body.error!.message, /forged or altered/);
      });
    });

    describe('when the key is unknown', () => {
      it('answers 401 ERR_UNKNOWN_KEY naming the kid', async () => {
        const stranger = await importSigner(
          (await generateProducerKey('mallory', ['canvas'])).privateJwk,
        );
        const { status, body } = await post(
          h.url,
          JSON.stringify({ jws: await signEvent(exampleEvent('grade', 1), stranger) }),
        );
        assert.equal(status, 401);
        assert.equal(body.error?.code, 'ERR_UNKNOWN_KEY');
        assert.match(body.error!.message, /mallory:/);
      });
    });

    describe('when a token is replayed', () => {
      it('answers 409 ERR_REPLAYED the second time', async () => {
        const body = JSON.stringify({ jws: await signEvent(exampleEvent('grade', 2), h.signer) });
        assert.equal((await post(h.url, body)).status, 202);
        const replay = await post(h.url, body);
        assert.equal(replay.status, 409);
        assert.equal(replay.body.error?.code, 'ERR_REPLAYED');
        assert.match(replay.body.error!.message, /already used/);
      });
    });

    describe('when the body is malformed JSON', () => {
      it('answers 400 ERR_MALFORMED saying it is not JSON', async () => {
        const { status, body } = await post(h.url, '{"jws": "abc"');
        assert.equal(status, 400);
        assert.equal(body.error?.code, 'ERR_MALFORMED');
        assert.match(body.error!.message, /not valid JSON/);
      });
    });

    describe('when the body is over the size limit', () => {
      it('answers 413 ERR_TOO_LARGE naming the limit', async () => {
        const { status, body } = await post(h.url, JSON.stringify({ jws: 'x'.repeat(70_000) }));
        assert.equal(status, 413);
        assert.equal(body.error?.code, 'ERR_TOO_LARGE');
        assert.match(body.error!.message, /limit of 65536 bytes/);
      });
    });

    describe('when one event of a batch names an unknown entity', () => {
      it('rejects that event with its reason and keeps the others', async () => {
        const good = exampleEvent('grade', 3);
        const bad = { ...exampleEvent('grade', 4), entity: 'homework' };
        const batch = await signBatch([good, bad as never], h.signer);
        const { status, body } = await post(h.url, JSON.stringify(batch));
        assert.equal(status, 202);
        assert.equal(body.results![0]!.status, 'accepted');
        assert.equal(body.results![1]!.status, 'rejected');
        assert.equal(body.results![1]!.code, 'ERR_INVALID_EVENT');
        assert.match(body.results![1]!.reason!, /entity/);
      });
    });

    describe('when an event has an unknown schema version', () => {
      it('parks it, visible with its reason, instead of dropping it', async () => {
        const event = { ...exampleEvent('grade', 5), schema: 'grade@v9' };
        const { status, body } = await post(
          h.url,
          JSON.stringify({ jws: await signEvent(event, h.signer) }),
        );
        assert.equal(status, 202);
        assert.equal(body.results![0]!.status, 'parked');
        assert.equal(body.results![0]!.code, 'ERR_UNKNOWN_SCHEMA');
        const row = await h.relay.store.db
          .selectFrom('events')
          .selectAll()
          .where('id', '=', event.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.state, 'parked');
        assert.match(row.reason!, /no mapping for schema grade@v9/);
      });
    });
  });
}

// The relay's contract with its producers (issue 8, sections 1 and 2): a key writes only as its
// producer and for its sources, is usable at once, and ingest is all-or-nothing per event.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import {
  exampleEvent,
  generateProducerKey,
  importSigner,
  rotateTrustedKey,
  signBatch,
  signEvent,
  type SyncEvent,
} from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';

interface IngestBody {
  error?: { code: string; message: string };
  results?: Array<{ status: string; code?: string; reason?: string }>;
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as IngestBody };
}

/** `{"a":{"a":...1...}}` nested `depth` levels, as text: too deep for JSON.stringify to make. */
function nestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Starts a POST that promises 5,000 bytes, sends a few, and hangs up. */
async function hangUpMidBody(url: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      method: 'POST',
      path: '/v1/events',
      headers: { 'content-type': 'application/json', 'content-length': '5000' },
    });
    req.on('error', () => resolve());
    req.write('{"jws":"');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 100);
  });
}

/** A signed batch whose event at `index` is replaced, in the body only, by `raw` JSON text. */
async function batchWithRaw(h: RelayHarness, events: SyncEvent[], index: number, raw: string) {
  const batch = await signBatch(events, h.signer);
  const texts = batch.events.map((e, i) => (i === index ? raw : JSON.stringify(e)));
  return `{"jws":${JSON.stringify(batch.jws)},"events":[${texts.join(',')}]}`;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the relay's contract with producers (${dialect})`, function () {
    this.timeout(30_000);
    let h: RelayHarness;
    before(async () => {
      h = await new RelayHarness({ dialect, env: { MAX_EVENT_BYTES: '8192' } }).start();
    });
    after(async () => {
      await h?.stop();
    });

    const storedIds = async (ids: string[]) =>
      (await h.relay.store.db.selectFrom('events').select('id').where('id', 'in', ids).execute())
        .map((r) => r.id)
        .sort();

    describe('when a key speaks for a source it does not hold', () => {
      it('answers 403 ERR_FORBIDDEN, stores nothing and counts it', async () => {
        const grade = exampleEvent('grade', 101); // source canvas
        const { status, body } = await post(
          h.url,
          JSON.stringify({ jws: await signEvent(grade, h.discourseSigner) }),
        );
        assert.equal(status, 403);
        assert.equal(body.results![0]!.code, 'ERR_FORBIDDEN');
        assert.match(
          body.results![0]!.reason!,
          /producer "discourse" may not send source "canvas"/,
        );
        assert.deepEqual(await storedIds([grade.id]), []);
        const metrics = await fetch(`${h.url}/metrics`, {
          headers: { authorization: `Bearer ${h.env.RELAY_ADMIN_TOKEN}` },
        }).then((r) => r.text());
        assert.match(metrics, /cds_events_ingested_total\{[^}]*code="ERR_FORBIDDEN"[^}]*\} [1-9]/);
      });

      it('rejects only that event of a batch and accepts the others', async () => {
        const grade = exampleEvent('grade', 102);
        const post_ = exampleEvent('forum_post', 102); // source discourse
        const batch = await signBatch([grade, post_], h.signer);
        const { status, body } = await post(h.url, JSON.stringify(batch));
        assert.equal(status, 202);
        assert.equal(body.results![0]!.status, 'accepted');
        assert.equal(body.results![1]!.code, 'ERR_FORBIDDEN');
        assert.deepEqual(await storedIds([grade.id, post_.id]), [grade.id]);
      });
    });

    describe("when a token's iss is not its key's producer", () => {
      it('refuses the token with 403 naming the real producer', async () => {
        const impostor = { ...h.discourseSigner, producer: 'canvas' };
        const grade = exampleEvent('grade', 103);
        const { status, body } = await post(
          h.url,
          JSON.stringify({ jws: await signEvent(grade, impostor) }),
        );
        assert.equal(status, 403);
        assert.equal(body.error?.code, 'ERR_FORBIDDEN');
        assert.match(
          body.error!.message,
          /"iss" is "canvas" but key .* belongs to producer "discourse"/,
        );
        assert.deepEqual(await storedIds([grade.id]), []);
      });

      it('keeps its answer short when the iss is huge or holds a NUL', async () => {
        for (const iss of ['x'.repeat(20_000), 'canvas\u0000']) {
          const impostor = { ...h.signer, producer: iss };
          const { status, body } = await post(
            h.url,
            JSON.stringify({ jws: await signEvent(exampleEvent('grade', 104), impostor) }),
          );
          assert.equal(status, 403);
          assert.ok(body.error!.message.length < 300, body.error!.message.slice(0, 300));
        }
      });
    });

    describe('when a key was added a moment ago', () => {
      it('accepts its events at once (the relay re-reads the JWKS on an unknown kid)', async () => {
        const path = h.env.TRUSTED_JWKS!;
        const pair = await generateProducerKey('lti', ['canvas', 'manual']);
        const jwks = JSON.parse(readFileSync(path, 'utf8')) as { keys: unknown[] };
        writeFileSync(path, JSON.stringify({ keys: [...jwks.keys, pair.publicJwk] }));
        const signer = await importSigner(pair.privateJwk);
        const grade = exampleEvent('grade', 105);
        const { status, body } = await post(
          h.url,
          JSON.stringify({ jws: await signEvent(grade, signer) }),
        );
        assert.equal(status, 202, JSON.stringify(body));
        assert.equal(body.results![0]!.status, 'accepted');
      });

      it('accepts the new key of a rotation at once, and the old one in its grace period', async () => {
        const path = h.env.TRUSTED_JWKS!;
        const next = await generateProducerKey('discourse');
        const rotated = rotateTrustedKey(JSON.parse(readFileSync(path, 'utf8')), {
          newKey: next.publicJwk,
          oldKid: h.discourseSigner.kid,
          graceSeconds: 3600,
        });
        writeFileSync(path, JSON.stringify(rotated));
        const newSigner = await importSigner(next.privateJwk);
        for (const [i, signer] of [newSigner, h.discourseSigner].entries()) {
          const event = exampleEvent('forum_post', 106 + i);
          const { status } = await post(
            h.url,
            JSON.stringify({ jws: await signEvent(event, signer) }),
          );
          assert.equal(status, 202);
        }
      });
    });

    describe('when writing the log fails half-way', () => {
      it('answers 500, forgets the token id, and accepts the identical retry', async () => {
        const grade = exampleEvent('grade', 110);
        const body = JSON.stringify({ jws: await signEvent(grade, h.signer) });
        const db = h.relay.store.db;
        await sql`alter table events rename to events_away`.execute(db);
        let first;
        try {
          first = await post(h.url, body);
        } finally {
          await sql`alter table events_away rename to events`.execute(db);
        }
        assert.equal(first.status, 500);
        const retry = await post(h.url, body);
        assert.equal(retry.status, 202, JSON.stringify(retry.body));
        assert.equal(retry.body.results![0]!.status, 'accepted');
        const again = await post(h.url, body);
        assert.equal(again.status, 409, 'a replay after the success is still refused');
      });
    });

    describe('when one event of a batch is hostile', () => {
      it('rejects an event nested thousands of levels deep alone', async () => {
        const events = [
          exampleEvent('grade', 120),
          exampleEvent('grade', 121),
          exampleEvent('grade', 122),
        ];
        const deep = JSON.stringify(events[1]).replace(
          '"payload":{',
          `"payload":{"x":${nestedJson(5000)},`,
        );
        const { status, body } = await post(h.url, await batchWithRaw(h, events, 1, deep));
        assert.equal(status, 202, JSON.stringify(body).slice(0, 500));
        assert.deepEqual(
          body.results!.map((r) => r.status),
          ['accepted', 'rejected', 'accepted'],
        );
        assert.equal(body.results![1]!.code, 'ERR_INVALID_EVENT');
        assert.match(body.results![1]!.reason!, /nested deeper than 32 levels/);
      });

      it('rejects a parked event with a NUL in its key alone', async () => {
        const events = [exampleEvent('grade', 123), exampleEvent('grade', 124)];
        const parked = { ...events[1]!, schema: 'grade@v9', key: 'course:1/user:2\u0000x' };
        const { status, body } = await post(
          h.url,
          await batchWithRaw(h, events, 1, JSON.stringify(parked)),
        );
        assert.equal(status, 202);
        assert.equal(body.results![0]!.status, 'accepted');
        assert.equal(body.results![1]!.code, 'ERR_INVALID_EVENT');
        assert.match(body.results![1]!.reason!, /key contains a NUL character/);
      });

      it('rejects a parked event over MAX_EVENT_BYTES alone with 413 ERR_TOO_LARGE', async () => {
        const events = [exampleEvent('grade', 125), exampleEvent('grade', 126)];
        const big = { ...events[1]!, schema: 'grade@v9', payload: { blob: 'x'.repeat(10_000) } };
        const { status, body } = await post(
          h.url,
          await batchWithRaw(h, events, 1, JSON.stringify(big)),
        );
        assert.equal(status, 202);
        assert.equal(body.results![1]!.code, 'ERR_TOO_LARGE');
        assert.match(body.results![1]!.reason!, /limit is 8192 \(MAX_EVENT_BYTES\)/);
        const alone = await post(
          h.url,
          JSON.stringify({
            jws: await signEvent({ ...big, id: exampleEvent('grade', 127).id }, h.signer),
          }),
        );
        assert.equal(alone.status, 413);
      });
    });

    describe('when a payload carries fields its schema does not know', () => {
      it('stores every entity as validated: unknown fields dropped, the event accepted', async () => {
        const grade = exampleEvent('grade', 130);
        const profile = exampleEvent('profile', 131); // odd: a Canvas name change
        const events = [grade, profile].map((e) => ({
          ...e,
          payload: { ...e.payload, injected: { role: 'admin' } },
        }));
        const { status, body } = await post(
          h.url,
          JSON.stringify(await signBatch(events, h.signer)),
        );
        assert.equal(status, 202);
        assert.deepEqual(
          body.results!.map((r) => r.status),
          ['accepted', 'accepted'],
        );
        const rows = await h.relay.store.db
          .selectFrom('events')
          .select(['id', 'body'])
          .where('id', 'in', [grade.id, profile.id])
          .execute();
        assert.equal(rows.length, 2);
        for (const row of rows) {
          const stored = JSON.parse(row.body) as SyncEvent;
          assert.equal('injected' in stored.payload, false, `${row.id} kept an unknown field`);
        }
      });
    });

    describe('when the body is a corrupt gzip stream', () => {
      it('answers 400 ERR_MALFORMED, not 500', async () => {
        const gzip = gzipSync(Buffer.from('{"jws":"a.b.c"}'));
        const { status, body } = await post(h.url, gzip.subarray(0, gzip.length - 6), {
          'content-encoding': 'gzip',
        });
        assert.equal(status, 400);
        assert.equal(body.error?.code, 'ERR_MALFORMED');
        assert.match(body.error!.message, /could not be read/);
      });
    });

    describe('when the client hangs up mid-body', () => {
      it('keeps serving and does not answer it as an internal error', async () => {
        await hangUpMidBody(h.url);
        const { status } = await post(h.url, '{}');
        assert.equal(status, 422);
      });
    });

    describe('readiness', () => {
      it('names each dependency ok without any internal detail', async () => {
        const response = await fetch(`${h.url}/readyz`);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {
          ok: true,
          checks: { database: 'ok', redis: 'ok' },
        });
      });
    });
  });
}

describe('readiness when Redis is down', function () {
  this.timeout(30_000);
  let h: RelayHarness;
  before(async () => {
    h = await new RelayHarness({
      dialect: 'sqlite',
      role: 'web',
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    }).start();
  });
  after(async () => {
    await h?.stop();
  });

  it('answers 503 naming redis as down, without its error text', async () => {
    const response = await fetch(`${h.url}/readyz`);
    assert.equal(response.status, 503);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), { ok: false, checks: { database: 'ok', redis: 'down' } });
    assert.doesNotMatch(text, /ECONNREFUSED|127\.0\.0\.1/);
  });
});

describe('a client that hangs up mid-body', function () {
  this.timeout(30_000);
  let h: RelayHarness;
  const lines: Array<{ level: number; msg: string }> = [];
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    });
    h = await new RelayHarness({
      dialect: 'sqlite',
      logger: pino({ level: 'info' }, sink),
    }).start();
  });
  after(async () => {
    await h?.stop();
  });

  it('is not logged as an error', async () => {
    await hangUpMidBody(h.url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const errors = lines.filter((line) => line.level >= 50);
    assert.deepEqual(errors, []);
  });
});

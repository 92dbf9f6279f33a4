import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StatusBus, loadConfig, startRelay } from '@cds/relay';
import { exampleEvent, signEvent, type SyncEvent } from '@cds/shared';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'test-admin-token-0123456789'; // the harness's RELAY_ADMIN_TOKEN

interface ErrorBody {
  error: { code: string; message: string };
}

interface EventStatusBody {
  event: { id: string; key: string; entity: string; tier: string; state: string; reason: string };
  deliveries: Array<{ target: string; status: string; attempts: number; lastError: string }>;
  deadLetters: Array<{ target: string; status: string; attempts: number; lastError: string }>;
  syncState: { key: string; status: string; lastEventId: string } | null;
}

interface SummaryBody {
  tiers: Record<string, { backlog: number; lagMs: number; states: Record<string, number> }>;
  targets: Record<
    string,
    { pending: number; failing: number; deadLetters: number; breaker: string | null }
  >;
  conflicts: { open: number };
  parked: number;
  queues?: { decide: Record<string, Record<string, number>>; deliver: Record<string, unknown> };
}

interface StatusMessage {
  type: string;
  id: string;
  state: string;
  key?: string;
  reason?: string | null;
}

/** An SSE client on a real HTTP connection: collects the `data:` messages as they come. */
class StreamClient {
  readonly messages: StatusMessage[] = [];
  readonly ids: string[] = [];
  raw = '';
  private readonly abort = new AbortController();
  private reading?: Promise<void>;

  async open(url: string): Promise<Response> {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' },
      signal: this.abort.signal,
    });
    if (response.body) this.reading = this.read(response.body);
    return response;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of body) {
        const text = decoder.decode(chunk, { stream: true });
        this.raw += text;
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const frame = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const lines = frame.split('\n');
          const id = lines.find((l) => l.startsWith('id: '));
          const data = lines.find((l) => l.startsWith('data: '));
          if (id) this.ids.push(id.slice(4));
          if (data) this.messages.push(JSON.parse(data.slice(6)) as StatusMessage);
        }
      }
    } catch {
      // aborted by close()
    }
  }

  of(id: string): StatusMessage[] {
    return this.messages.filter((m) => m.id === id);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }
}

/** A value of one sample in the Prometheus text exposition, or undefined if absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    const wanted = Object.entries(labels);
    if (Object.keys(found).length !== wanted.length) continue;
    if (wanted.every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the status API and metrics (${dialect})`, function () {
    this.timeout(60_000);
    let h: RelayHarness;
    const streams: StreamClient[] = [];

    const get = (path: string, token: string | null = TOKEN) =>
      fetch(`${h.url}${path}`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
    const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
      const response = await get(path);
      return { status: response.status, body: (await response.json()) as T };
    };
    const eventStatus = (id: string) => getJson<EventStatusBody>(`/v1/status/events/${id}`);
    const summary = async () => (await getJson<SummaryBody>('/v1/status/summary')).body;
    const stateOf = async (id: string) => (await eventStatus(id)).body.event?.state;
    /** Concurrent edits of one page from both sides: an open conflict. */
    const contentEditConflict = async (seq: number) => {
      const canvas = exampleEvent('content_edit', seq, { source: 'canvas', vv: { canvas: 1 } });
      const discourse = exampleEvent('content_edit', seq, {
        source: 'discourse',
        vv: { discourse: 1 },
      });
      discourse.payload = { ...canvas.payload, body_html: '<p>discourse text</p>' };
      for (const event of [canvas, discourse]) {
        await h.send([event]);
        await h.relay.workers!.runBackgroundBatch();
      }
      await waitFor('the conflict', async () => (await stateOf(discourse.id)) === 'conflict');
      return { canvas, discourse };
    };

    beforeEach(async () => {
      h = await new RelayHarness({ dialect }).start();
    });
    afterEach(async () => {
      for (const stream of streams.splice(0)) await stream.close();
      await h?.stop();
    });

    describe('when a request has no token', () => {
      it('answers 401 ERR_UNAUTHORIZED with WWW-Authenticate: Bearer on every route', async () => {
        for (const path of ['/v1/status/summary', '/v1/status/stream', '/metrics']) {
          const response = await get(path, null);
          assert.equal(response.status, 401, path);
          assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer\b/, path);
          const body = (await response.json()) as ErrorBody;
          assert.equal(body.error.code, 'ERR_UNAUTHORIZED');
          assert.match(body.error.message, /missing credentials: send Authorization: Bearer/);
        }
      });
    });

    describe('when the token is wrong', () => {
      it('answers 401 with error="invalid_token"', async () => {
        for (const token of [`${TOKEN}x`, 'short', TOKEN.slice(0, -1)]) {
          const response = await get('/v1/status/summary', token);
          assert.equal(response.status, 401);
          assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
          const body = (await response.json()) as ErrorBody;
          assert.equal(body.error.code, 'ERR_UNAUTHORIZED');
          assert.match(body.error.message, /not valid for this relay/);
        }
      });

      it('answers 401 for another scheme than Bearer', async () => {
        const response = await fetch(`${h.url}/v1/status/summary`, {
          headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
        });
        assert.equal(response.status, 401);
        assert.match(((await response.json()) as ErrorBody).error.message, /malformed/);
      });
    });

    describe('when the token is the admin token', () => {
      it('answers 200 on the summary and the metrics', async () => {
        assert.equal((await get('/v1/status/summary')).status, 200);
        const metrics = await get('/metrics');
        assert.equal(metrics.status, 200);
        assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
      });
    });

    describe('when no admin token is configured', () => {
      it('answers 503 ERR_UNAVAILABLE naming RELAY_ADMIN_TOKEN, even to a token', async () => {
        await h.stop();
        h = await new RelayHarness({ dialect, env: { RELAY_ADMIN_TOKEN: '' } }).start();
        for (const path of ['/v1/status/summary', '/metrics']) {
          const response = await get(path);
          assert.equal(response.status, 503, path);
          const body = (await response.json()) as ErrorBody;
          assert.equal(body.error.code, 'ERR_UNAVAILABLE');
          assert.match(body.error.message, /set RELAY_ADMIN_TOKEN/);
        }
      });
    });

    describe('GET /v1/status/events/:id', () => {
      it('shows an applied event with its delivery and its entity state', async () => {
        const event = exampleEvent('grade', 1);
        await h.send([event]);
        await waitFor('the event applied', async () => (await stateOf(event.id)) === 'applied');
        const { status, body } = await eventStatus(event.id);
        assert.equal(status, 200);
        assert.equal(body.event.id, event.id);
        assert.equal(body.event.key, event.key);
        assert.equal(body.event.entity, 'grade');
        assert.equal(body.event.tier, 'critical');
        assert.deepEqual(
          body.deliveries.map((d) => [d.target, d.status, d.attempts, d.lastError]),
          [['webhook-1', 'delivered', 0, null]],
        );
        assert.deepEqual(body.deadLetters, []);
        assert.equal(body.syncState?.key, event.key);
        assert.equal(body.syncState?.lastEventId, event.id);
      });

      it('shows the dead letter and last error of an event the target refused', async () => {
        h.target.mode = { kind: 'fail', status: 500 };
        const event = exampleEvent('grade', 2);
        await h.send([event]);
        await waitFor('the event dead', async () => (await stateOf(event.id)) === 'dead');
        const { body } = await eventStatus(event.id);
        assert.match(body.event.reason, /delivery to webhook-1 failed: .*HTTP 500/);
        assert.deepEqual(
          body.deliveries.map((d) => d.status),
          ['dead'],
        );
        assert.ok(body.deliveries[0]!.attempts >= 1, 'its failed attempts are counted');
        assert.equal(body.deadLetters.length, 1);
        assert.equal(body.deadLetters[0]!.status, 'open');
        assert.match(body.deadLetters[0]!.lastError, /HTTP 500$/);
      });

      it('answers 404 ERR_NOT_FOUND for an unknown id', async () => {
        const id = randomUUID();
        const { status, body } = await getJson<ErrorBody>(`/v1/status/events/${id}`);
        assert.equal(status, 404);
        assert.equal(body.error.code, 'ERR_NOT_FOUND');
        assert.equal(body.error.message, `no event ${id} in the relay's log`);
      });

      it('answers 400 ERR_MALFORMED for an id that is not a UUID', async () => {
        const { status, body } = await getJson<ErrorBody>('/v1/status/events/not-a-uuid');
        assert.equal(status, 400);
        assert.equal(body.error.code, 'ERR_MALFORMED');
        assert.match(body.error.message, /path parameter "id" must be an event id/);
      });
    });

    describe('GET /v1/status/entities', () => {
      it('answers 400 ERR_MALFORMED naming "key" when it is missing', async () => {
        const { status, body } = await getJson<ErrorBody>('/v1/status/entities');
        assert.equal(status, 400);
        assert.equal(body.error.code, 'ERR_MALFORMED');
        assert.match(body.error.message, /query parameter "key" is required/);
      });

      it("shows a key's sync state and its events, newest first", async () => {
        const first = exampleEvent('grade', 3, { vv: { canvas: 1 } });
        const second = { ...exampleEvent('grade', 3, { vv: { canvas: 2 } }) };
        await h.send([first]);
        await waitFor('first applied', async () => (await stateOf(first.id)) === 'applied');
        await h.send([second]);
        await waitFor('second applied', async () => (await stateOf(second.id)) === 'applied');
        const { status, body } = await getJson<{
          key: string;
          syncState: { lastEventId: string; status: string } | null;
          events: Array<{ id: string; state: string }>;
          conflicts: unknown[];
        }>(`/v1/status/entities?key=${encodeURIComponent(first.key)}`);
        assert.equal(status, 200);
        assert.equal(body.key, first.key);
        assert.equal(body.syncState?.lastEventId, second.id);
        assert.deepEqual(
          body.events.map((e) => [e.id, e.state]),
          [
            [second.id, 'applied'],
            [first.id, 'applied'],
          ],
        );
        assert.deepEqual(body.conflicts, []);
      });

      it('lists the open conflict of concurrent content edits, also in the summary', async () => {
        const { canvas, discourse } = await contentEditConflict(4);
        const { body } = await getJson<{
          syncState: { status: string } | null;
          conflicts: Array<{ eventIds: string[] }>;
        }>(`/v1/status/entities?key=${encodeURIComponent(canvas.key)}`);
        assert.equal(body.syncState?.status, 'conflict');
        assert.equal(body.conflicts.length, 1);
        assert.deepEqual(new Set(body.conflicts[0]!.eventIds), new Set([canvas.id, discourse.id]));
        assert.equal((await summary()).conflicts.open, 1);
      });
    });

    describe('GET /v1/status/summary', () => {
      it('counts dead letters and dead events after sends to a failing target', async () => {
        const before = await summary();
        assert.deepEqual(before.targets['webhook-1'], {
          pending: 0,
          failing: 0,
          deadLetters: 0,
          breaker: 'closed',
        });
        assert.equal(before.tiers.critical!.states.dead, 0);
        h.target.mode = { kind: 'fail', status: 500 };
        const events = [5, 6].map((i) => exampleEvent('grade', i));
        await h.send(events);
        await waitFor('both dead', async () => (await summary()).tiers.critical!.states.dead === 2);
        const after = await summary();
        assert.equal(after.targets['webhook-1']!.deadLetters, 2);
        assert.equal(after.targets['webhook-1']!.pending, 0);
        assert.equal(after.tiers.critical!.backlog, 0);
        assert.equal(after.tiers.critical!.lagMs, 0);
        assert.equal(after.parked, 0);
      });

      it('lists every open conflict and dead letter for admins (GET /v1/status/open-items)', async () => {
        h.target.mode = { kind: 'fail', status: 500 };
        const events = [7, 8].map((i) => exampleEvent('grade', i));
        await h.send(events);
        await waitFor('both dead', async () => (await summary()).tiers.critical!.states.dead === 2);
        h.target.mode = { kind: 'ok' };
        const { canvas } = await contentEditConflict(9);
        const { status, body } = await getJson<{
          conflicts: Array<{ key: string }>;
          deadLetters: Array<{ eventId: string; lastError: string }>;
        }>('/v1/status/open-items');
        assert.equal(status, 200);
        assert.deepEqual(
          new Set(body.deadLetters.map((d) => d.eventId)),
          new Set(events.map((e) => e.id)),
        );
        assert.match(body.deadLetters[0]!.lastError, /HTTP 500$/);
        assert.deepEqual(
          body.conflicts.map((c) => c.key),
          [canvas.key],
        );
      });

      it('shows the backlog, lag and failing deliveries while a target fails, then drains', async () => {
        await h.stop();
        h = await new RelayHarness({
          dialect,
          retry: { windowMs: 600_000, backoffMs: 50 },
        }).start();
        h.target.mode = { kind: 'fail', status: 503 };
        const event = exampleEvent('grade', 7);
        await h.send([event]);
        let failing!: SummaryBody;
        await waitFor('a failing delivery with the breaker open', async () => {
          failing = await summary();
          const target = failing.targets['webhook-1']!;
          return target.failing === 1 && target.breaker !== 'closed';
        });
        assert.equal(failing.targets['webhook-1']!.pending, 1);
        assert.equal(failing.tiers.critical!.backlog, 1);
        assert.equal(failing.tiers.critical!.states.delivering, 1);
        assert.ok(failing.tiers.critical!.lagMs > 0, `lag ${failing.tiers.critical!.lagMs}`);
        assert.equal(failing.tiers.high!.backlog, 0);
        assert.ok(failing.queues && 'decide' in failing.queues, 'queue counts from BullMQ');
        assert.ok(failing.queues.deliver['webhook-1'], 'the target has a delivery queue');

        h.target.mode = { kind: 'ok' };
        await waitFor(
          'applied after recovery',
          async () => (await stateOf(event.id)) === 'applied',
        );
        const drained = await summary();
        assert.equal(drained.targets['webhook-1']!.pending, 0);
        assert.equal(drained.targets['webhook-1']!.failing, 0);
        assert.equal(drained.tiers.critical!.backlog, 0);
        assert.equal(drained.tiers.critical!.states.applied, 1);
      });

      it('counts parked events', async () => {
        const event = { ...exampleEvent('grade', 8), schema: 'grade@v9' };
        await fetch(`${h.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jws: await signEvent(event, h.signer) }),
        });
        const s = await summary();
        assert.equal(s.parked, 1);
        assert.equal(s.tiers.critical!.states.parked, 1);
      });
    });

    describe('GET /v1/status/stream', () => {
      it("streams an event's changes as Server-Sent Events, ending with applied", async () => {
        const client = new StreamClient();
        streams.push(client);
        const response = await client.open(`${h.url}/v1/status/stream`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
        const event = exampleEvent('grade', 9);
        await h.send([event]);
        await waitFor('applied on the stream', () =>
          client.of(event.id).some((m) => m.state === 'applied'),
        );
        assert.match(client.raw, /^retry: \d+\n/);
        const changes = client.of(event.id);
        assert.deepEqual(
          changes.map((m) => m.state),
          ['accepted', 'delivering', 'applied'],
        );
        assert.ok(changes.every((m) => m.type === 'event' && m.key === event.key));
        assert.equal(new Set(client.ids).size, client.ids.length, 'every message has its own id');
        assert.equal(client.ids.length, client.messages.length);
      });

      it('sends only the changes of the key asked for', async () => {
        const mine = exampleEvent('grade', 10);
        const other = exampleEvent('grade', 11);
        const all = new StreamClient();
        const filtered = new StreamClient();
        streams.push(all, filtered);
        await all.open(`${h.url}/v1/status/stream`);
        await filtered.open(`${h.url}/v1/status/stream?key=${encodeURIComponent(mine.key)}`);
        await h.send([other, mine]);
        await waitFor('both applied on the unfiltered stream', () =>
          [mine, other].every((e) => all.of(e.id).some((m) => m.state === 'applied')),
        );
        await waitFor('mine applied on the filtered stream', () =>
          filtered.of(mine.id).some((m) => m.state === 'applied'),
        );
        assert.deepEqual(filtered.of(other.id), []);
        assert.ok(filtered.messages.every((m) => m.key === mine.key));
      });

      it('looks up the key of a change published without one', async () => {
        const mine = exampleEvent('grade', 18);
        const other = exampleEvent('grade', 19);
        // Both stay delivering, retrying: only the changes published below say applied.
        await h.stop();
        h = await new RelayHarness({
          dialect,
          retry: { windowMs: 600_000, backoffMs: 50 },
        }).start();
        h.target.mode = { kind: 'fail', status: 503 };
        await h.send([mine, other]);
        const filtered = new StreamClient();
        streams.push(filtered);
        await filtered.open(`${h.url}/v1/status/stream?key=${encodeURIComponent(mine.key)}`);
        // Another process's bus, which never saw these events decided: its changes have no key.
        const elsewhere = new StatusBus({
          redisUrl: h.env.REDIS_URL!,
          prefix: h.prefix,
          logger: h.relay.logger,
        });
        try {
          elsewhere.publish({ type: 'event', id: other.id, state: 'applied' });
          elsewhere.publish({ type: 'event', id: mine.id, state: 'applied' });
          await elsewhere.flush();
        } finally {
          await elsewhere.close();
        }
        await waitFor('the keyless change of mine', () =>
          filtered.of(mine.id).some((m) => m.state === 'applied'),
        );
        assert.deepEqual(
          filtered.messages.filter((m) => m.state === 'applied').map((m) => [m.id, m.key]),
          [[mine.id, undefined]],
        );
        assert.deepEqual(filtered.of(other.id), []);
      });

      it('carries changes from a worker process to a web process', async () => {
        await h.stop();
        h = await new RelayHarness({ dialect, role: 'web' }).start();
        const worker = await startRelay({
          config: loadConfig(h.env),
          role: 'worker',
          retry: { windowMs: 1_500, backoffMs: 50 },
          sweeper: { idleMs: 500, intervalMs: 250 },
        });
        try {
          const client = new StreamClient();
          streams.push(client);
          await client.open(`${h.url}/v1/status/stream`);
          const event = exampleEvent('grade', 20);
          await h.send([event]);
          await waitFor('applied, seen by the web role', () =>
            client.of(event.id).some((m) => m.state === 'applied'),
          );
          assert.equal((await summary()).targets['webhook-1']!.breaker, null);
        } finally {
          await worker.close();
        }
      });

      it('sends a heartbeat comment while nothing happens', async () => {
        await h.stop();
        h = await new RelayHarness({ dialect, streamHeartbeatMs: 100 }).start();
        const client = new StreamClient();
        streams.push(client);
        await client.open(`${h.url}/v1/status/stream`);
        await waitFor('two heartbeats', () => client.raw.split(': heartbeat\n\n').length >= 3);
        assert.deepEqual(client.messages, []);
      });

      it('unsubscribes when the client disconnects', async () => {
        const client = new StreamClient();
        await client.open(`${h.url}/v1/status/stream`);
        assert.equal(h.relay.bus.listenerCount, 1);
        await client.close();
        await waitFor('the listener removed', () => h.relay.bus.listenerCount === 0);
      });

      it('answers 400 for a key given twice', async () => {
        const { status, body } = await getJson<ErrorBody>('/v1/status/stream?key=a:1&key=b:2');
        assert.equal(status, 400);
        assert.match(body.error.message, /query parameter "key" must be given once/);
      });
    });

    describe('GET /metrics', () => {
      it('counts ingest outcomes, deliveries and the backlog', async () => {
        const applied: SyncEvent[] = [exampleEvent('grade', 12), exampleEvent('enrollment', 13)];
        await h.send(applied);
        await h.send([applied[0]!]); // a duplicate
        const parked = { ...exampleEvent('grade', 14), schema: 'grade@v9' };
        await h.send([parked]);
        const refused = await fetch(`${h.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ nothing: true }),
        });
        assert.equal(refused.status, 422);
        for (const event of applied)
          await waitFor('applied', async () => (await stateOf(event.id)) === 'applied');

        const text = await (await get('/metrics')).text();
        const ingested = (status: string, code?: string) =>
          sample(text, 'cds_events_ingested_total', code ? { status, code } : { status });
        assert.equal(ingested('accepted'), 2);
        assert.equal(ingested('duplicate'), 1);
        assert.equal(ingested('parked', 'ERR_UNKNOWN_SCHEMA'), 1);
        assert.equal(
          sample(text, 'cds_ingest_requests_refused_total', { code: 'ERR_INVALID_EVENT' }),
          1,
        );
        const delivered = { target: 'webhook-1', outcome: 'delivered' };
        assert.equal(sample(text, 'cds_deliveries_total', delivered), 2);
        assert.equal(sample(text, 'cds_delivery_duration_seconds_count', delivered), 2);
        assert.equal(sample(text, 'cds_event_transitions_total', { state: 'applied' }), 2);
        assert.equal(sample(text, 'cds_backlog_events', { tier: 'critical' }), 0);
        assert.equal(sample(text, 'cds_events_parked'), 1);
        assert.equal(sample(text, 'cds_dead_letters_open', { target: 'webhook-1' }), 0);
        assert.equal(sample(text, 'cds_database_up'), 1);
        assert.equal(
          sample(text, 'cds_breaker_state', { target: 'webhook-1', state: 'closed' }),
          1,
        );
      });

      it('counts failed deliveries and open dead letters', async () => {
        h.target.mode = { kind: 'fail', status: 500 };
        const event = exampleEvent('grade', 15);
        await h.send([event]);
        await waitFor('dead', async () => (await stateOf(event.id)) === 'dead');
        const text = await (await get('/metrics')).text();
        assert.equal(
          sample(text, 'cds_deliveries_total', {
            target: 'webhook-1',
            outcome: 'retryable_failure',
          }),
          h.target.requests.length,
        );
        assert.equal(sample(text, 'cds_dead_letters_open', { target: 'webhook-1' }), 1);
        assert.equal(sample(text, 'cds_event_transitions_total', { state: 'dead' }), 1);
      });

      it('reports a backlog waiting for the background batch', async () => {
        // The batch schedule's first run happens at start: let it pass, or it may take our events.
        await waitFor('the first scheduled batch done', async () => {
          const jobs = await h.relay.queues.background.getJobCounts(
            'waiting',
            'prioritized',
            'active',
            'delayed',
          );
          return jobs.waiting! + jobs.prioritized! + jobs.active! === 0 && jobs.delayed! >= 1;
        });
        await h.send([exampleEvent('forum_post', 16), exampleEvent('forum_post', 17)]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const text = await (await get('/metrics')).text();
        assert.equal(sample(text, 'cds_backlog_events', { tier: 'background' }), 2);
        assert.ok(sample(text, 'cds_lag_seconds', { tier: 'background' })! > 0);
      });
    });
  });
}

describe('the status bus when Redis is unreachable', () => {
  it('drops the changes with a warning instead of throwing into the pipeline', async () => {
    const warnings: string[] = [];
    const logger = {
      warn: (_details: unknown, message: string) => void warnings.push(message),
      debug: () => undefined,
    } as unknown as ConstructorParameters<typeof StatusBus>[0]['logger'];
    const bus = new StatusBus({ redisUrl: 'redis://127.0.0.1:1', prefix: '{nowhere}', logger });
    try {
      assert.doesNotThrow(() =>
        bus.publish({ type: 'event', id: randomUUID(), state: 'applied', key: 'course:1' }),
      );
      await bus.flush();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /status changes dropped: Redis did not take them/);
    } finally {
      await bus.close();
    }
  });
});

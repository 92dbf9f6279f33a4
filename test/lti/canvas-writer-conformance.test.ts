// The connector conformance suite (test/connectors/conformance.ts) against the LTI tool's
// receiver: the relay's webhook connector for the canvas side delivering to the real
// POST /v1/deliveries, which writes to the Canvas simulator, on both databases.
//
// The suite drives its receiver's failures through `mode`; here a thin front server plays them
// (answers `status`, hangs, or lets the tool apply and then loses the answer) and passes every
// other request to the tool. `appliedCount` counts the events the tool settled (wrote to Canvas,
// or refused because Canvas has no write for the entity: badge, profile, content_edit), so
// "applied once" means the tool took each event exactly once however often it was delivered;
// `refuse` is played by an applier in front of the tool's own, refusing those events with that
// reason as the tool refuses an event Canvas will not take.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { EntityType, Signer } from '@cds/shared';
import { createTestDatabase, TEST_DIALECTS, type TestDatabase } from '@cds/relay/testing';
import { WebhookConnector } from '../../relay/src/connectors/webhook/connector.js';
import type { Applier } from '../../lti-tool/src/writer/index.js';
import {
  connectorConformance,
  exampleDelivery,
  type ConformanceReceiver,
} from '../connectors/conformance.js';
import {
  failureAnswer,
  startFront,
  type Front,
  type FrontAnswer,
} from '../support/failure-front.js';
import type { TargetMode } from '../support/target-server.js';
import { startWriterFixture, withForumLinks, type WriterFixture } from './canvas-writer-fixture.js';

class ToolReceiver implements ConformanceReceiver {
  mode: TargetMode = { kind: 'ok' };
  readonly appliedCount = new Map<string, number>();
  readonly requests: string[] = [];
  readonly refuse = new Map<string, string>();
  signer?: Signer;
  private fixture?: WriterFixture;
  private database?: TestDatabase;
  private front?: Front;

  constructor(private readonly dialect: 'sqlite' | 'postgres') {}

  /** Wraps the tool's appliers: refuses the `refuse` events, counts what the tool settles. */
  private appliers(defaults: Partial<Record<EntityType, Applier>>) {
    const wrapped: Partial<Record<EntityType, Applier>> = {};
    for (const [entity, applier] of Object.entries(defaults) as Array<[EntityType, Applier]>) {
      wrapped[entity] = async (items, ctx) => {
        for (const item of items) {
          const reason = this.refuse.get(item.eventId);
          if (reason) await ctx.record(item.eventId, { outcome: 'rejected', reason });
        }
        const rest = items.filter((item) => !this.refuse.has(item.eventId));
        await applier(rest, {
          ...ctx,
          record: async (eventId, outcome) => {
            this.appliedCount.set(eventId, (this.appliedCount.get(eventId) ?? 0) + 1);
            await ctx.record(eventId, outcome);
          },
        });
      };
    }
    return wrapped;
  }

  async start(): Promise<string> {
    this.database = await createTestDatabase(this.dialect);
    this.fixture = await startWriterFixture({
      database: this.database,
      appliers: (defaults) => this.appliers(defaults),
    });
    this.signer = this.fixture.relay;
    await this.warmUp(this.fixture);
    this.front = await startFront((req, body) => this.handle(req, body));
    return `${this.front.url}/v1/deliveries`;
  }

  /**
   * The first write fetches an access token and creates line items: done before the suite's
   * deliveries (a 300 ms timeout each), and not counted.
   */
  private async warmUp(f: WriterFixture): Promise<void> {
    for (const entity of ['grade', 'forum_post'] as const) {
      // A delivery id of its own: the suite's deliveries use their event's id.
      const example = exampleDelivery(entity, 3);
      // The relay resolves a forum post's links before it goes out: the warm-up carries them.
      const delivery = { ...example, id: randomUUID(), items: example.items.map(withForumLinks) };
      const answer = await f.post(delivery);
      if (answer.status !== 200) throw new Error(`warm-up failed: ${JSON.stringify(answer.body)}`);
    }
    this.appliedCount.clear();
  }

  private async handle(req: IncomingMessage, body: Buffer): Promise<FrontAnswer> {
    const key = String(req.headers['idempotency-key'] ?? '');
    this.requests.push(key);
    const mode = this.mode;
    const failed = failureAnswer(mode);
    if (failed) return failed;
    const response = await fetch(this.fixture!.deliveriesUrl, {
      method: 'POST',
      headers: {
        'content-type': String(req.headers['content-type'] ?? 'application/jose'),
        'idempotency-key': key,
      },
      body: body.toString('utf8'),
    });
    const text = await response.text();
    if (mode.kind === 'apply-then-fail') return { status: mode.status };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) headers['retry-after'] = retryAfter;
    return { status: response.status, headers, body: text };
  }

  async stop(): Promise<void> {
    const front = this.front;
    this.front = undefined;
    await front?.close();
    await this.fixture?.close();
    await this.database?.dispose();
  }
}

for (const dialect of TEST_DIALECTS) {
  let receiver: ToolReceiver | undefined;
  connectorConformance(`the LTI tool's POST /v1/deliveries on the Canvas simulator (${dialect})`, {
    receiver() {
      receiver = new ToolReceiver(dialect);
      return receiver;
    },
    connector(url, { timeoutMs }) {
      // A connection-refused check asks for a connector before any receiver started.
      const signer = receiver?.signer;
      if (!signer) throw new Error('the receiver has not started');
      return new WebhookConnector({ name: 'canvas', side: 'canvas', url, signer, timeoutMs });
    },
  });
}

// The connector conformance suite (CONVENTIONS.md #17, in the style of BullMQ's adapter
// conformance tests): every connector runs these same tests against a real HTTP receiver that the
// suite controls. Idempotency, error classification and Retry-After are the contract the relay's
// retries (relay/src/queue/retry.ts) and breaker rely on.
import assert from 'node:assert/strict';
import {
  DEFAULT_POLICIES,
  ENTITY_TYPES,
  exampleEvent,
  type Delivery,
  type EntityType,
} from '@cds/shared';
import type { Connector } from '../../relay/src/connectors/connector.js';
import { freePort } from '../support/ports.js';
import type { TargetMode } from '../support/target-server.js';

/** A receiver the suite can make fail: the target's own API, or a simulator of it. */
export interface ConformanceReceiver {
  /** Starts it; returns the URL the connector is given. */
  start(): Promise<string>;
  stop(): Promise<void>;
  mode: TargetMode;
  /** How many times each event id was applied. */
  readonly appliedCount: ReadonlyMap<string, number>;
  /** The Idempotency-Key (or the connector's equivalent) of every request, failed ones too. */
  readonly requests: readonly string[];
  /** Events it refuses for good, with the reason, while it takes the rest of their delivery. */
  readonly refuse: Map<string, string>;
}

export interface ConformanceSubject {
  receiver(): ConformanceReceiver | Promise<ConformanceReceiver>;
  /** The connector under test, writing to `url` with a per-request timeout of `timeoutMs`. */
  connector(url: string, options: { timeoutMs: number }): Connector | Promise<Connector>;
}

/** A delivery of one example event of `entity`, as the relay builds it. */
export function exampleDelivery(entity: EntityType = 'grade', seq = 1): Delivery {
  const event = exampleEvent(entity, seq);
  return {
    id: event.id,
    tier: DEFAULT_POLICIES[entity].tier,
    eventIds: [event.id],
    items: [
      {
        eventId: event.id,
        source: event.source,
        entity,
        key: event.key,
        op: 'upsert',
        value: event.payload,
      },
    ],
  };
}

interface Classified {
  code: string;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

/** Delivers, expecting a TargetError; returns how it was classified. */
async function failure(connector: Connector, delivery = exampleDelivery()): Promise<Classified> {
  try {
    await connector.deliver(delivery);
  } catch (error) {
    const e = error as Error & Partial<Classified>;
    assert.equal(e.code, 'ERR_TARGET', `a TargetError, not ${e.code ?? e.message}`);
    assert.equal(typeof e.retryable, 'boolean');
    return {
      code: e.code,
      message: e.message,
      retryable: e.retryable!,
      retryAfterMs: e.retryAfterMs,
    };
  }
  assert.fail('the delivery should have failed');
}

/** Declares the conformance tests of one connector. */
export function connectorConformance(name: string, subject: ConformanceSubject): void {
  describe(`${name} (connector conformance)`, function () {
    this.timeout(20_000);
    const timeoutMs = 300;
    let receiver: ConformanceReceiver;
    let connector: Connector;
    beforeEach(async () => {
      receiver = await subject.receiver();
      connector = await subject.connector(await receiver.start(), { timeoutMs });
    });
    afterEach(async () => {
      await receiver.stop();
    });

    describe('idempotency', () => {
      it('applies a delivery once however often it is sent with the same id', async () => {
        const delivery = exampleDelivery();
        for (let i = 0; i < 3; i += 1) await connector.deliver(delivery);
        assert.equal(receiver.requests.length, 3);
        assert.deepEqual([...receiver.appliedCount.entries()], [[delivery.eventIds[0], 1]]);
      });

      it('applies it once when an attempt was applied but its answer was lost', async () => {
        const delivery = exampleDelivery();
        receiver.mode = { kind: 'apply-then-fail', status: 500 };
        assert.equal((await failure(connector, delivery)).retryable, true);
        receiver.mode = { kind: 'ok' };
        await connector.deliver(delivery);
        assert.equal(receiver.appliedCount.get(delivery.eventIds[0]!), 1);
      });

      it('delivers every entity that flows to its side', async () => {
        const entities = ENTITY_TYPES.filter(
          (e) => connector.side === undefined || DEFAULT_POLICIES[e].flows.includes(connector.side),
        );
        const deliveries = entities.map((entity, i) => exampleDelivery(entity, i + 1));
        for (const delivery of deliveries) await connector.deliver(delivery);
        for (const delivery of deliveries)
          assert.equal(
            receiver.appliedCount.get(delivery.eventIds[0]!),
            1,
            delivery.items[0]!.entity,
          );
      });
    });

    describe('per-event results', () => {
      it('reports the events the target refused for good, with its reason, and no others', async () => {
        const deliveries = [exampleDelivery('grade', 1), exampleDelivery('grade', 2)];
        const delivery: Delivery = {
          ...deliveries[0]!,
          eventIds: deliveries.flatMap((d) => d.eventIds),
          items: deliveries.flatMap((d) => d.items),
        };
        const [taken, refused] = delivery.eventIds;
        receiver.refuse.set(refused!, 'the assignment is closed');
        const outcome = await connector.deliver(delivery);
        assert.deepEqual(
          [...(outcome?.refused ?? new Map())],
          [[refused, 'the assignment is closed']],
        );
        assert.equal(receiver.appliedCount.get(taken!), 1);
        assert.equal(receiver.appliedCount.has(refused!), false);
      });

      it('reports no refusal when the target took everything', async () => {
        const outcome = await connector.deliver(exampleDelivery());
        assert.equal(outcome?.refused.size ?? 0, 0);
      });
    });

    describe('classifying failures for retries', () => {
      for (const status of [400, 401, 403, 404, 409, 410, 422]) {
        it(`treats HTTP ${status} as a permanent refusal (not retryable)`, async () => {
          receiver.mode = { kind: 'fail', status };
          const error = await failure(connector);
          assert.equal(error.retryable, false);
          assert.match(error.message, new RegExp(`HTTP ${status}\\b`));
          assert.equal(receiver.appliedCount.size, 0);
        });
      }

      for (const status of [408, 429, 500, 502, 503, 504]) {
        it(`retries HTTP ${status}`, async () => {
          receiver.mode = { kind: 'fail', status };
          const error = await failure(connector);
          assert.equal(error.retryable, true);
          assert.match(error.message, new RegExp(`HTTP ${status}\\b`));
          assert.equal(error.retryAfterMs, undefined, 'no Retry-After given');
        });
      }

      it('retries a target that does not answer in time', async () => {
        receiver.mode = { kind: 'hang' };
        const error = await failure(connector);
        assert.equal(error.retryable, true);
        assert.match(error.message, new RegExp(`timed out after ${timeoutMs} ms`));
      });

      it('retries a target that refuses the connection', async () => {
        const unreachable = await subject.connector(`http://127.0.0.1:${await freePort()}/`, {
          timeoutMs,
        });
        const error = await failure(unreachable);
        assert.equal(error.retryable, true);
        assert.match(error.message, /ECONNREFUSED/);
      });
    });

    describe('Retry-After', () => {
      it('honours it in seconds', async () => {
        receiver.mode = { kind: 'fail', status: 429, retryAfter: '7' };
        assert.equal((await failure(connector)).retryAfterMs, 7_000);
        receiver.mode = { kind: 'fail', status: 503, retryAfter: '120' };
        const error = await failure(connector);
        assert.equal(error.retryable, true);
        assert.equal(error.retryAfterMs, 120_000);
      });

      it('honours it as an HTTP date', async () => {
        const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 30_000);
        receiver.mode = { kind: 'fail', status: 503, retryAfter: at.toUTCString() };
        const error = await failure(connector);
        assert.equal(error.retryable, true);
        // The header has whole seconds (at most 31 s ahead); the answer takes some ms to arrive.
        assert.ok(
          error.retryAfterMs! > 25_000 && error.retryAfterMs! <= 31_000,
          `${error.retryAfterMs} ms`,
        );
      });
    });
  });
}

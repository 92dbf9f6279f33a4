// A real HTTP receiver of relay deliveries: verifies each one with @cds/shared's verifyDelivery
// against the relay's JWKS, applies it once per Idempotency-Key (as Stripe-style receivers do),
// and counts. Its mode makes it fail in the ways a real target does.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyDelivery, type DeliveryKeys, type VerifiedDelivery } from '@cds/shared';
import { failureAnswer } from './failure-front.js';

export type TargetMode =
  | { kind: 'ok' }
  /** Answers `status` without applying, with a Retry-After header when given. */
  | { kind: 'fail'; status: number; retryAfter?: string }
  /** 429 with Retry-After in seconds. */
  | { kind: 'retry-after'; seconds: number }
  /** Never answers, applies nothing. */
  | { kind: 'hang' }
  /** Applies the delivery, then answers `status`: the answer is lost, the sender retries. */
  | { kind: 'apply-then-fail'; status: number }
  /**
   * Fails a share of requests at random: 500, 429 (no Retry-After), or a hang after applying (the
   * answer never comes). The rest are applied and answered 200.
   */
  | { kind: 'flaky'; fail500: number; fail429: number; hang: number; seed?: number };

/** The failure mix of issue 8: 22% of requests fail (15% 500, 5% 429, 2% hang). */
export const FLAKY_22: Extract<TargetMode, { kind: 'flaky' }> = {
  kind: 'flaky',
  fail500: 0.15,
  fail429: 0.05,
  hang: 0.02,
};

export type ReceivedDelivery = VerifiedDelivery & { idempotencyKey: string };

/** mulberry32: a small seeded generator, so a flaky run can be repeated. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang';

export class TargetServer {
  /** Every request's Idempotency-Key, in arrival order (including failed ones). */
  readonly requests: string[] = [];
  /** When each request arrived (ms), in order. */
  readonly arrivals: number[] = [];
  /** Deliveries applied, one per Idempotency-Key. */
  readonly applied = new Map<string, ReceivedDelivery>();
  /** How many times each event id was applied (must end at exactly 1). */
  readonly appliedCount = new Map<string, number>();
  /** Deliveries refused by verification, with the error code and message. */
  readonly rejections: Array<{ code: string; message: string }> = [];
  /**
   * Events this receiver refuses for good, with the reason: a delivery carrying any is taken, those
   * are answered in its 2xx body as `{rejected: [...]}` (deliveryResultSchema) and not applied.
   */
  readonly refuse = new Map<string, string>();
  /** What the flaky mode did: how many requests failed each way. */
  readonly faults = { fail500: 0, fail429: 0, hang: 0 };
  private currentMode: TargetMode = { kind: 'ok' };
  private random: () => number = Math.random;
  private server?: Server;
  private keys?: DeliveryKeys;

  get mode(): TargetMode {
    return this.currentMode;
  }

  set mode(mode: TargetMode) {
    this.currentMode = mode;
    if (mode.kind === 'flaky') this.random = seeded(mode.seed ?? Date.now());
  }

  /** Verify deliveries with the relay's public keys (a JWKS, or its URL) from now on. */
  trust(keys: DeliveryKeys): void {
    this.keys = keys;
  }

  /** Starts listening (again, on the same port after `stop`); returns the delivery URL. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req).then(
        (answer) => {
          if (answer === 'hang') return;
          res
            .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
            .end(answer.body === undefined ? '' : JSON.stringify(answer.body));
        },
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const key = String(req.headers['idempotency-key'] ?? '');
    this.requests.push(key);
    this.arrivals.push(Date.now());
    const mode = this.currentMode;
    let hangAfterApply = false;
    const failed = failureAnswer(mode);
    if (failed) return failed;
    if (mode.kind === 'flaky') {
      const roll = this.random();
      if (roll < mode.fail500) {
        this.faults.fail500 += 1;
        return { status: 500 };
      }
      if (roll < mode.fail500 + mode.fail429) {
        this.faults.fail429 += 1;
        return { status: 429 };
      }
      if (roll < mode.fail500 + mode.fail429 + mode.hang) {
        this.faults.hang += 1;
        hangAfterApply = true;
      }
    }
    if (!this.keys) throw new Error('target has no relay JWKS to verify with');
    let delivery: VerifiedDelivery;
    try {
      delivery = await verifyDelivery(Buffer.concat(chunks).toString('utf8'), {
        keys: this.keys,
        idempotencyKey: key,
      });
    } catch (error) {
      const { code, message } = error as { code: string; message: string };
      this.rejections.push({ code, message });
      return {
        status: code === 'ERR_UNAVAILABLE' ? 503 : code === 'ERR_MALFORMED' ? 400 : 401,
        body: { error: { code, message } },
      };
    }
    const rejected = delivery.eventIds
      .filter((id) => this.refuse.has(id))
      .map((eventId) => ({ eventId, reason: this.refuse.get(eventId)! }));
    if (!this.applied.has(key)) {
      this.applied.set(key, { ...delivery, idempotencyKey: key });
      for (const id of delivery.eventIds)
        if (!this.refuse.has(id)) this.appliedCount.set(id, (this.appliedCount.get(id) ?? 0) + 1);
    }
    if (hangAfterApply) return 'hang';
    if (mode.kind === 'apply-then-fail') return { status: mode.status };
    return rejected.length > 0 ? { status: 200, body: { rejected } } : { status: 200 };
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

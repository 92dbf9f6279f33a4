// A real HTTP target for the relay's outbound webhook: verifies each delivery's JWS with the
// relay's JWKS, applies it once per Idempotency-Key (as Stripe-style receivers do), and counts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

export type TargetMode =
  | { kind: 'ok' }
  | { kind: 'fail'; status: number }
  | { kind: 'retry-after'; seconds: number }
  | { kind: 'hang' };

export interface ReceivedDelivery {
  idempotencyKey: string;
  eventIds: string[];
  tier: string;
  items: Array<{
    eventId: string;
    source: string;
    key: string;
    value: Record<string, unknown> | null;
  }>;
}

export class TargetServer {
  /** Every request, in arrival order (including failed ones). */
  readonly requests: string[] = [];
  /** When each request arrived (ms), in order. */
  readonly arrivals: number[] = [];
  /** Deliveries applied, one per Idempotency-Key. */
  readonly applied = new Map<string, ReceivedDelivery>();
  /** How many times each event id was applied (must end at exactly 1). */
  readonly appliedCount = new Map<string, number>();
  mode: TargetMode = { kind: 'ok' };
  private server?: Server;
  private jwks?: ReturnType<typeof createLocalJWKSet>;

  /** Verify deliveries with the relay's public keys from now on. */
  trust(jwks: JSONWebKeySet): void {
    this.jwks = createLocalJWKSet(jwks);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req).then(
        ([status, headers]) => {
          if (status === 0) return; // hang: never answer
          res.writeHead(status, headers).end();
        },
        () => res.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  private async handle(req: IncomingMessage): Promise<[number, Record<string, string>]> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const key = String(req.headers['idempotency-key'] ?? '');
    this.requests.push(key);
    this.arrivals.push(Date.now());
    const mode = this.mode;
    if (mode.kind === 'fail') return [mode.status, {}];
    if (mode.kind === 'retry-after') return [429, { 'retry-after': String(mode.seconds) }];
    if (mode.kind === 'hang') return [0, {}];
    if (!this.jwks) throw new Error('target has no relay JWKS to verify with');
    const { payload } = await jwtVerify(Buffer.concat(chunks).toString('utf8'), this.jwks, {
      typ: 'cds-delivery+jwt',
    });
    if (!this.applied.has(key)) {
      const delivery = {
        idempotencyKey: key,
        ...(payload as unknown as Omit<ReceivedDelivery, 'idempotencyKey'>),
      };
      this.applied.set(key, delivery);
      for (const id of delivery.eventIds)
        this.appliedCount.set(id, (this.appliedCount.get(id) ?? 0) + 1);
    }
    return [200, {}];
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
  }
}

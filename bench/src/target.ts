// The bench's webhook target: a receiver as DESIGN.md 5b describes one. It applies a delivery id
// (the Idempotency-Key) once and counts every event id of the `eventIds` claim: when it first
// arrived, and whether another delivery carried it again (applied twice: the bench fails). It
// decodes without verifying, so the target's own cost stays out of the figures.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

interface DeliveryClaims {
  jti?: unknown;
  eventIds?: unknown;
}

/** The delivery id (`jti`) and `eventIds` of a compact JWS, or none when the body is not one. */
export function readDelivery(jws: string): { id?: string; eventIds: string[] } {
  const payload = jws.split('.')[1];
  if (!payload) return { eventIds: [] };
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as DeliveryClaims;
  const eventIds = Array.isArray(claims.eventIds)
    ? claims.eventIds.filter((id): id is string => typeof id === 'string')
    : [];
  return { id: typeof claims.jti === 'string' ? claims.jti : undefined, eventIds };
}

/** Events the bench sent and waits for: how many arrived, and when the last one did. */
export class Expected {
  total = 0;
  arrived = 0;
  lastAt = 0;
  readonly firstSeenAt = new Map<string, number>();
}

export class CountingTarget {
  /** Deliveries applied (distinct ids). */
  deliveries = 0;
  /** Requests repeating a delivery id already applied: a retry, harmless to a real receiver. */
  redeliveries = 0;
  /** Event ids that a second, different delivery carried again: applied twice. */
  readonly duplicateIds = new Set<string>();
  /** Event ids that arrived but that the bench never sent. */
  unexpected = 0;
  private readonly applied = new Set<string>();
  private readonly deliveryIds = new Set<string>();
  private readonly expectedOf = new Map<string, Expected>();
  private server?: Server;

  /** Called with the number of events each delivery applied for the first time, as it arrives. */
  constructor(private readonly onApplied?: (events: number, at: number) => void) {}

  /** Starts counting `ids` (into `expected`, which grows, when given); it fills in as they arrive. */
  expect(ids: readonly string[], expected = new Expected()): Expected {
    expected.total += ids.length;
    for (const id of ids) this.expectedOf.set(id, expected);
    return expected;
  }

  /** How many of `ids` were applied more than once. */
  duplicatesAmong(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) if (this.duplicateIds.has(id)) n += 1;
    return n;
  }

  private receive(body: string, idempotencyKey: string | undefined, now: number): void {
    const delivery = readDelivery(body);
    const deliveryId = idempotencyKey ?? delivery.id;
    if (deliveryId !== undefined) {
      if (this.deliveryIds.has(deliveryId)) {
        this.redeliveries += 1;
        return;
      }
      this.deliveryIds.add(deliveryId);
    }
    this.deliveries += 1;
    let fresh = 0;
    for (const id of delivery.eventIds) {
      if (this.applied.has(id)) {
        this.duplicateIds.add(id);
        continue;
      }
      this.applied.add(id);
      fresh += 1;
      const expected = this.expectedOf.get(id);
      if (!expected) {
        this.unexpected += 1;
        continue;
      }
      expected.arrived += 1;
      expected.lastAt = now;
      expected.firstSeenAt.set(id, now);
      this.expectedOf.delete(id);
    }
    this.onApplied?.(fresh, now);
  }

  /** Listens on a free port of 127.0.0.1; returns the URL to give the relay. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const header = req.headers['idempotency-key'];
        try {
          this.receive(
            Buffer.concat(chunks).toString('utf8'),
            typeof header === 'string' ? header : undefined,
            performance.now(),
          );
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    // Large background batches: no socket timeout while the relay streams one.
    this.server.requestTimeout = 0;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

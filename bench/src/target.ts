// The bench's webhook target: counts each event id the relay delivers, from the `eventIds` claim of
// the delivery's JWS. It decodes without verifying, so the target's own cost stays out of the figure.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

interface DeliveryClaims {
  eventIds?: unknown;
}

/** The `eventIds` claim of a compact JWS, or [] when the body is not one. */
export function eventIdsOf(jws: string): string[] {
  const payload = jws.split('.')[1];
  if (!payload) return [];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as DeliveryClaims;
  return Array.isArray(claims.eventIds)
    ? claims.eventIds.filter((id): id is string => typeof id === 'string')
    : [];
}

export class CountingTarget {
  /** When each event id first arrived (performance.now()). */
  readonly firstSeenAt = new Map<string, number>();
  /** Arrivals of an id already seen: a retried or duplicated delivery. */
  duplicates = 0;
  requests = 0;
  private server?: Server;

  /** Listens on a free port of 127.0.0.1; returns the URL to give the relay. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests += 1;
        const now = performance.now();
        try {
          for (const id of eventIdsOf(Buffer.concat(chunks).toString('utf8'))) {
            if (this.firstSeenAt.has(id)) this.duplicates += 1;
            else this.firstSeenAt.set(id, now);
          }
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** How many of `ids` have arrived. */
  countOf(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) if (this.firstSeenAt.has(id)) n += 1;
    return n;
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

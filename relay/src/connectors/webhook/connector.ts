import {
  refusedEvents,
  signDelivery,
  type DeliveryOutcome,
  type Side,
  type Signer,
} from '@cds/shared';
import {
  httpTargetError,
  unansweredTargetError,
  type Connector,
  type Delivery,
  type DeliveryItem,
  type OutboundMapping,
} from '../connector.js';
import type { LinkNeed } from '../../links/needs.js';
import { webhookMapping } from './mapping.js';

export interface WebhookOptions {
  name: string;
  url: string;
  /**
   * The side the receiver writes to (the LTI tool's `POST /v1/deliveries` writes to Canvas).
   * @defaultValue none: an observer, which gets every applied event
   */
  side?: Side;
  /** The relay's own signing key: receivers verify with the relay's JWKS (`verifyDelivery`). */
  signer: Signer;
  /** Per request. @defaultValue 10_000 */
  timeoutMs?: number;
  /** The links the receiver needs with each item (connector.ts `needs`). @defaultValue none */
  needs?: (item: DeliveryItem) => LinkNeed[];
}

/**
 * A delivery POSTed to a URL as the relay-signed JWS of @cds/shared (`signDelivery`), with an
 * `Idempotency-Key` header equal to its id, so the receiver applies each delivery once however
 * often it is retried: the generic outbound webhook (OUTBOUND_WEBHOOK_URL), and any receiver that
 * verifies deliveries with `verifyDelivery` (the LTI tool's `POST /v1/deliveries`).
 */
export class WebhookConnector implements Connector {
  readonly name: string;
  readonly side?: Side;
  readonly mapping: OutboundMapping<DeliveryItem> = webhookMapping;
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookOptions) {
    this.name = options.name;
    this.side = options.side;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (options.needs) this.needs = options.needs;
  }

  needs?: (item: DeliveryItem) => LinkNeed[];

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    const jws = await signDelivery(
      { ...delivery, items: delivery.items.map((item) => this.mapping.toTarget(item)) },
      this.options.signer,
    );
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', 'idempotency-key': delivery.id },
        body: jws,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw unansweredTargetError(this.name, error, this.timeoutMs);
    }
    if (response.ok) return { refused: await refusedIn(response, delivery.eventIds) };
    await response.body?.cancel().catch(() => undefined);
    throw httpTargetError(this.name, response.status, response.headers.get('retry-after'));
  }
}

/** A 2xx answer's body larger than this is not a delivery result: it is not read. */
const MAX_RESULT_BYTES = 1024 * 1024;

/** The events a receiver refused in its 2xx answer (a JSON `deliveryResultSchema`), if any. */
async function refusedIn(
  response: Response,
  eventIds: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  const type = response.headers.get('content-type') ?? '';
  const length = Number(response.headers.get('content-length') ?? 0);
  if (!/json/i.test(type) || length > MAX_RESULT_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    return new Map();
  }
  const body = await response.text().catch(() => '');
  return body.length > MAX_RESULT_BYTES ? new Map() : refusedEvents(body, eventIds);
}

import { SignJWT, type CryptoKey } from 'jose';
import type { Side } from '@cds/shared';
import { TargetError, parseRetryAfter, type Connector, type Delivery } from './connector.js';

export interface WebhookOptions {
  name: string;
  url: string;
  /**
   * The side the receiver writes to (the LTI tool's `POST /v1/deliveries` writes to Canvas).
   * @defaultValue none: an observer, which gets every applied event
   */
  side?: Side;
  /** The relay's own signing key: receivers verify with the relay's JWKS. */
  signer: { kid: string; key: CryptoKey };
  /** Per request. @defaultValue 10_000 */
  timeoutMs?: number;
}

/**
 * The generic outbound webhook (OUTBOUND_WEBHOOK_URL): every applied event, as a compact JWS
 * signed by the relay whose payload lists `eventIds` and the values they lead to, POSTed with an
 * `Idempotency-Key` so a receiver applies each delivery once, however often it is retried.
 */
export class WebhookConnector implements Connector {
  readonly name: string;
  readonly side?: Side;
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookOptions) {
    this.name = options.name;
    this.side = options.side;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async deliver(delivery: Delivery): Promise<void> {
    const jws = await new SignJWT({
      eventIds: delivery.eventIds,
      tier: delivery.tier,
      items: delivery.items,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.options.signer.kid, typ: 'cds-delivery+jwt' })
      .setIssuer('cds-relay')
      .setJti(delivery.id)
      .setIssuedAt()
      .sign(this.options.signer.key);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', 'idempotency-key': delivery.id },
        body: jws,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const why =
        error instanceof Error && error.name === 'TimeoutError'
          ? `timed out after ${this.timeoutMs} ms`
          : (error as Error).message;
      throw new TargetError(`${this.name}: ${why}`, true, undefined, { cause: error });
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return;
    const status = response.status;
    const retryable = status >= 500 || status === 429 || status === 408;
    throw new TargetError(
      `${this.name}: HTTP ${status}`,
      retryable,
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }
}

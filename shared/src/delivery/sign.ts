import { SignJWT } from 'jose';
import { SIGNING_ALG, type Signer } from '../signing/keys.js';
import {
  DELIVERY_ISSUER,
  DELIVERY_TOKEN_TYPE,
  deliveryClaimsSchema,
  type Delivery,
} from './format.js';

export interface SignDeliveryOptions {
  /** @defaultValue DELIVERY_ISSUER ('cds-relay') */
  issuer?: string;
  /** Issued-at time in ms. @defaultValue Date.now() */
  now?: number;
}

/**
 * Signs a delivery as a compact JWS (`typ: cds-delivery+jwt`, `jti` = the delivery id) with the
 * relay's key. The claims are checked first, so the relay never sends what receivers refuse.
 */
export async function signDelivery(
  delivery: Delivery,
  signer: Signer,
  options: SignDeliveryOptions = {},
): Promise<string> {
  const claims = deliveryClaimsSchema.parse({
    eventIds: delivery.eventIds,
    tier: delivery.tier,
    items: delivery.items,
  });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: DELIVERY_TOKEN_TYPE })
    .setIssuer(options.issuer ?? DELIVERY_ISSUER)
    .setJti(delivery.id)
    .setIssuedAt(Math.floor((options.now ?? Date.now()) / 1000))
    .sign(signer.key);
}

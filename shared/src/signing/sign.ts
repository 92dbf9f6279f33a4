import { SignJWT } from 'jose';
import { v7 as uuidv7 } from 'uuid';
import type { SyncEvent } from '../events/sync-event.js';
import { eventHash } from './hash.js';
import { SIGNING_ALG, type Signer } from './keys.js';

/** JWS `typ` of a token carrying one event. */
export const EVENT_TOKEN_TYPE = 'cds-event+jwt';
/** JWS `typ` of a token carrying the hashes of a batch of events. */
export const BATCH_TOKEN_TYPE = 'cds-batch+jwt';

/** What a producer posts for a batch: one signature over the events' hashes, and the events. */
export interface SignedBatch {
  jws: string;
  events: SyncEvent[];
}

export interface SignOptions {
  /** Issued-at time in ms. @defaultValue Date.now() */
  now?: number;
}

/** A producer token's common header and claims (`kid`, `typ`, `iss`, fresh `jti`, `iat`). */
export function baseToken(
  signer: Signer,
  typ: string,
  claims: Record<string, unknown>,
  now?: number,
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ })
    .setIssuer(signer.producer)
    .setJti(uuidv7())
    .setIssuedAt(Math.floor((now ?? Date.now()) / 1000));
}

/** Signs one event as a compact JWS whose claims carry it as `evt`, with a fresh `jti`. */
export function signEvent(
  event: SyncEvent,
  signer: Signer,
  options: SignOptions = {},
): Promise<string> {
  return baseToken(signer, EVENT_TOKEN_TYPE, { evt: event }, options.now).sign(signer.key);
}

/**
 * Signs many events with one signature: the JWS lists each event's RFC 8785 SHA-256 hash in
 * order, so the relay verifies one signature and hashes the rest (DESIGN.md section 9).
 */
export async function signBatch(
  events: SyncEvent[],
  signer: Signer,
  options: SignOptions = {},
): Promise<SignedBatch> {
  const hashes = events.map(eventHash);
  const jws = await baseToken(signer, BATCH_TOKEN_TYPE, { hashes }, options.now).sign(signer.key);
  return { jws, events };
}

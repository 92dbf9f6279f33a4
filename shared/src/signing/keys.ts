import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import { z } from 'zod';
import { Forbidden, InvalidConfig, UnknownKey } from '../errors.js';
import { SOURCES, type Source } from '../events/entity.js';

/** The only algorithm producers sign with: Ed25519 (DESIGN.md section 2). */
export const SIGNING_ALG = 'EdDSA';

/** Longest producer name (a token's `iss` must equal it, so it bounds `iss` too). */
export const MAX_PRODUCER_LENGTH = 100;

/**
 * A public key the relay trusts. Members beyond RFC 7517: `producer` names who holds the private
 * half (a token's `iss` must equal it), `sources` the event sources it may speak for, and
 * `retire_at` (epoch seconds) ends a rotated-out key's grace period.
 */
export const trustedJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().min(40).max(50),
    kid: z.string().min(1).max(200),
    alg: z.literal(SIGNING_ALG).optional(),
    use: z.literal('sig').optional(),
    producer: z.string().min(1).max(MAX_PRODUCER_LENGTH).optional(),
    sources: z.array(z.enum(SOURCES)).min(1).optional(),
    retire_at: z.number().int().positive().optional(),
  })
  .loose();

export type TrustedJwk = z.infer<typeof trustedJwkSchema>;

export const jwksSchema = z.object({ keys: z.array(trustedJwkSchema) });
export type TrustedJwks = z.infer<typeof jwksSchema>;

/** A producer's private signing key, ready to use. */
export interface Signer {
  kid: string;
  producer: string;
  key: CryptoKey;
}

export interface ProducerKeyPair {
  /** Keep secret: the producer signs with it. */
  privateJwk: JWK & { kid: string };
  /** Goes into the trusted JWKS of the relay. */
  publicJwk: TrustedJwk;
}

/**
 * The sources a key may send when its JWK names none: a producer called `canvas`, `discourse` or
 * `manual` speaks for that one source; any other producer must be given its sources explicitly.
 */
export function defaultSources(producer: string): Source[] | undefined {
  return (SOURCES as readonly string[]).includes(producer) ? [producer as Source] : undefined;
}

/**
 * Makes a new Ed25519 key pair for a producer; the `kid` is `<producer>:<thumbprint prefix>`.
 * `sources` defaults to `defaultSources(producer)`; InvalidConfig when there is no default.
 */
export async function generateProducerKey(
  producer: string,
  sources: readonly Source[] | undefined = defaultSources(producer),
): Promise<ProducerKeyPair> {
  if (!sources || sources.length === 0)
    throw new InvalidConfig(
      `producer "${producer}" needs the sources it may send (${SOURCES.join(', ')}): only a producer named after a source gets that source by default`,
    );
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, {
    crv: 'Ed25519',
    extractable: true,
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${producer}:${(await calculateJwkThumbprint(publicJwk)).slice(0, 16)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
  return {
    privateJwk,
    publicJwk: trustedJwkSchema.parse({
      ...publicJwk,
      kid,
      alg: SIGNING_ALG,
      use: 'sig',
      producer,
      sources: [...new Set(sources)],
    }),
  };
}

/** Loads a private JWK (as written by `cds keys generate`) into a Signer. */
export async function importSigner(privateJwk: JWK, producer?: string): Promise<Signer> {
  if (!privateJwk.kid) throw new InvalidConfig('the private JWK has no "kid": regenerate the key');
  if (privateJwk.crv !== 'Ed25519' || typeof privateJwk.d !== 'string') {
    throw new InvalidConfig(`key ${privateJwk.kid} is not a private Ed25519 JWK`);
  }
  const key = await importJWK(privateJwk, SIGNING_ALG);
  if (!(typeof key === 'object' && 'type' in key)) {
    throw new InvalidConfig(`key ${privateJwk.kid} did not import as a CryptoKey`);
  }
  return { kid: privateJwk.kid, producer: producer ?? privateJwk.kid.split(':')[0]!, key };
}

/** Who a verified token's key belongs to, and what it may send. */
export interface KeyGrant {
  kid: string;
  producer: string;
  sources: readonly Source[];
}

/**
 * Where verification finds trusted keys: a fixed KeyRing, or one that re-reads its JWKS when it
 * meets an unknown `kid` (the relay's TrustedKeys).
 */
export interface KeyResolver {
  /** The trusted JWK for a kid; rejects with UnknownKey saying why there is none. */
  resolveJwk(kid: string | undefined): Promise<TrustedJwk>;
  /** The JWK as a key jose verifies with (imported once). */
  cryptoKey(jwk: TrustedJwk): Promise<CryptoKey>;
}

/**
 * What a trusted key may do: its producer and sources. Forbidden when the JWK names no producer or
 * no sources can be derived, since such a key could speak for anyone.
 */
export function grantOf(jwk: TrustedJwk): KeyGrant {
  if (!jwk.producer)
    throw new Forbidden(
      `key "${jwk.kid}" names no "producer" in the trusted JWKS: regenerate it with "cds keys generate"`,
    );
  const sources = jwk.sources ?? defaultSources(jwk.producer);
  if (!sources)
    throw new Forbidden(
      `key "${jwk.kid}" of producer "${jwk.producer}" names no "sources" it may send: add them to its JWK (${SOURCES.join(', ')})`,
    );
  return { kid: jwk.kid, producer: jwk.producer, sources };
}

export interface KeyRingOptions {
  /** Current time in ms, for retirement checks. @defaultValue Date.now */
  now?: () => number;
}

/**
 * The set of producer public keys the relay accepts, looked up by `kid`. A key whose `retire_at`
 * has passed is treated as unknown: that is how a rotation's grace period ends.
 */
export class KeyRing implements KeyResolver {
  private readonly byKid = new Map<string, TrustedJwk>();
  private readonly imported = new Map<string, Promise<CryptoKey>>();
  private readonly now: () => number;

  constructor(jwks: TrustedJwks, options: KeyRingOptions = {}) {
    this.now = options.now ?? Date.now;
    for (const jwk of jwks.keys) {
      if (this.byKid.has(jwk.kid))
        throw new InvalidConfig(`trusted JWKS lists kid "${jwk.kid}" twice`);
      this.byKid.set(jwk.kid, jwk);
    }
  }

  /** Validates a JWKS document (parsed JSON) and builds a KeyRing; InvalidConfig names the problem. */
  static fromJson(document: unknown, options?: KeyRingOptions): KeyRing {
    const parsed = jwksSchema.safeParse(document);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new InvalidConfig(
        `trusted JWKS is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'unknown'}`,
      );
    }
    return new KeyRing(parsed.data, options);
  }

  get size(): number {
    return this.byKid.size;
  }

  /** The trusted JWK for a kid, or UnknownKey saying why it is not usable. */
  lookup(kid: string | undefined): TrustedJwk {
    if (!kid)
      throw new UnknownKey('the token header has no "kid": the relay cannot tell who signed it');
    const jwk = this.byKid.get(kid);
    if (!jwk) throw new UnknownKey(`key "${kid}" is not in the trusted JWKS`);
    if (jwk.retire_at !== undefined && jwk.retire_at * 1000 <= this.now()) {
      const when = new Date(jwk.retire_at * 1000).toISOString();
      throw new UnknownKey(`key "${kid}" was retired at ${when}: sign with the producer's new key`);
    }
    return jwk;
  }

  /** Every key, for listings (retired ones included). */
  list(): TrustedJwk[] {
    return [...this.byKid.values()];
  }

  resolveJwk(kid: string | undefined): Promise<TrustedJwk> {
    try {
      return Promise.resolve(this.lookup(kid));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  cryptoKey(jwk: TrustedJwk): Promise<CryptoKey> {
    let key = this.imported.get(jwk.kid);
    if (!key) {
      key = importJWK(jwk, SIGNING_ALG) as Promise<CryptoKey>;
      this.imported.set(jwk.kid, key);
    }
    return key;
  }
}

/**
 * Adds a producer's new public key and starts the old key's grace period: both are accepted until
 * `retire_at`, then only the new one. Returns a new JWKS; the input is not changed.
 */
export function rotateTrustedKey(
  jwks: TrustedJwks,
  rotation: { newKey: TrustedJwk; oldKid: string; graceSeconds: number; now?: number },
): TrustedJwks {
  const nowSeconds = Math.floor((rotation.now ?? Date.now()) / 1000);
  if (!jwks.keys.some((k) => k.kid === rotation.oldKid)) {
    throw new InvalidConfig(`cannot rotate: key "${rotation.oldKid}" is not in the trusted JWKS`);
  }
  const keys = jwks.keys
    .filter((k) => k.kid !== rotation.newKey.kid)
    .map((k) =>
      k.kid === rotation.oldKid ? { ...k, retire_at: nowSeconds + rotation.graceSeconds } : k,
    );
  return { keys: [...keys, rotation.newKey] };
}
